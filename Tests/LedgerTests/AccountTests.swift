// Proves the account value rules that do not need a database: the shape of an account number
// and the order of the balancing sets.
import Ledger
import Testing

@Suite struct AccountTests {
    @Test func accountNumbersAreSixDigits() {
        #expect(Account.isWellFormedNumber("101000"))
        for bad in ["", "10100", "1010000", "10100a", "１０１０００", " 101000", "-10100"] {
            #expect(!Account.isWellFormedNumber(bad), "\(bad)")
        }
    }

    @Test func setsOrderProprietaryBudgetaryMemorandum() {
        #expect(AccountSet.allCases.sorted() == [.proprietary, .budgetary, .memorandum])
        #expect(AccountSet.budgetary < AccountSet.memorandum)
    }
}
