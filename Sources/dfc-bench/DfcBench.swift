import ArgumentParser
import Dates
import Foundation
import Ledger
import LedgerStore
import Postgres
import Synchronization
import TestSupport

/// The measuring side of Scripts/bench: each subcommand does one thing against a conninfo and
/// prints one JSON object. Scripts/bench runs them next to pgbench and raw COPY on the same
/// cluster and computes the ratios.
@main
struct DfcBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dfc-bench", abstract: "Benchmarks for Scripts/bench (prints JSON).",
        subcommands: [Post.self, Generate.self, LoadHistory.self, Balances.self, CopyBaseline.self, IndexCeiling.self, ReconcileSetup.self])
}

func emit(_ fields: [String: Any]) {
    let data = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

func elapsedSeconds(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}

/// Posting throughput: 2-line entries, one per transaction, through the library with every
/// invariant on, by N clients for S seconds, while a sealer chains what is committed. Timed from
/// when every client has connected, as pgbench's tps is ("without initial connection time").
struct Post: ParsableCommand {
    @Option var conninfo: String
    @Option var clients: Int = 1
    @Option var seconds: Double = 10
    @Flag(help: "All clients post against one fund's cash account (no facility).") var hot = false
    @Option(help: "Distinct facilities the lines are spread over.") var facilities: Int = 1000
    @Option(help: "Prefix of event keys (unique per run).") var prefix: String

    func run() throws {
        let posted = Atomic<Int>(0)
        let failures = Mutex<[String]>([])
        let stop = Atomic<Bool>(false)
        let usd = Currency.usd
        let connected = Atomic<Int>(0)
        let startNanos = Atomic<UInt64>(0)  // set by the last client to connect
        let sealer = Thread {
            guard let store = try? LedgerStore(conninfo: conninfo) else { return }
            while !stop.load(ordering: .relaxed) {
                _ = try? store.sealCommitted(wait: false)
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
        sealer.start()
        onThreads(clients) { client in
            var arrived = false
            func arrive() {  // the last client to connect, or to fail to, starts the clock
                guard !arrived else { return }
                arrived = true
                if connected.add(1, ordering: .acquiringAndReleasing).newValue == clients {
                    startNanos.store(DispatchTime.now().uptimeNanoseconds, ordering: .releasing)
                }
            }
            do {
                let store = try LedgerStore(conninfo: conninfo)
                arrive()
                while startNanos.load(ordering: .acquiring) == 0 { Thread.sleep(forTimeInterval: 0.001) }
                let deadline = startNanos.load(ordering: .acquiring) + UInt64(seconds * 1e9)
                var generator = SystemRandomNumberGenerator()
                var i = 0
                while DispatchTime.now().uptimeNanoseconds < deadline {
                    let amount = Money(minorUnits: Int64.random(in: 1...1_000_000, using: &generator), currency: usd)
                    let facility = hot ? nil : "F\(Int.random(in: 0..<facilities, using: &generator))"
                    let lines = [
                        JournalLine(account: hot ? "101000" : "135000", fund: "FIN-DL", facility: facility, side: .debit, amount: amount),
                        JournalLine(account: hot ? "251000" : "101000", fund: "FIN-DL", facility: facility, side: .credit, amount: amount),
                    ]
                    try store.post(NewEntry(eventKey: "\(prefix)-\(client)-\(i)", effectiveDate: CivilDate(year: 2026, month: 11, day: 15)!, description: "bench", lines: lines))
                    posted.add(1, ordering: .relaxed)
                    i += 1
                }
            } catch {
                failures.withLock { $0.append(String(describing: error)) }
                arrive()  // a client that could not connect must not hold the others at the start
            }
        }
        let elapsed = elapsedSeconds(since: DispatchTime(uptimeNanoseconds: startNanos.load(ordering: .acquiring)))
        stop.store(true, ordering: .relaxed)
        let store = try LedgerStore(conninfo: conninfo)
        try store.sealCommitted()
        let count = posted.load(ordering: .relaxed)
        emit([
            "clients": clients, "seconds": elapsed, "entries": count, "tps": Double(count) / elapsed,
            "failures": failures.withLock { $0.count }, "first_failure": failures.withLock { $0.first ?? "" },
        ])
    }
}

/// Writes the bench portfolio: N direct loans (fixed 5%, act-360) and an events file that funds
/// their fund, obligates each, then disburses and repays in turn (about 3 journal lines per event).
struct Generate: ParsableCommand {
    @Option var facilities: Int
    @Option var events: Int
    @Option var out: String

    func run() throws {
        // $100 billion obligated in all, whatever the number of facilities: under the MCL.
        let obligation = 100_000_000_000 / max(facilities, 1)
        var csv = "facility_id,name,counterparty,instrument,authority,executive_order,country,state,naics,minerals,cohort_fy,currency,obligated,rate,day_count,frequency,amortization,first_payment,maturity,grace_months\n"
        for f in 0..<facilities {
            csv += "B\(f),Bench loan \(f),Obligor \(f % 97),direct-loan,BUILD-9621,EO 14241 (2025-03-20),US,NV,331410,graphite,2026,USD,\(obligation).00,5%,act-360,quarterly,level-payment,2027-03-31,2035-12-31,0\n"
        }
        try csv.write(toFile: out + "/facilities.csv", atomically: true, encoding: .utf8)

        let handle = FileManager.default.createFile(atPath: out + "/events.csv", contents: nil) ? FileHandle(forWritingAtPath: out + "/events.csv")! : nil
        guard let handle else { throw ValidationError("cannot write \(out)/events.csv") }
        var buffer = "event_id,date,facility_id,fund,type,amount,currency,reference,memo\n"
        func flush() {
            handle.write(Data(buffer.utf8))
            buffer.removeAll(keepingCapacity: true)
        }
        let total = Int64(facilities) * Int64(obligation)
        for (i, type) in ["borrowing-authority", "apportion", "allot"].enumerated() {
            buffer += "fund-\(i),2026-10-01,,FIN-DL,\(type),\(total).00,USD,,\n"
        }
        buffer += "fund-borrow,2026-10-01,,FIN-DL,borrow,\(total).00,USD,,\n"
        var written = 4
        for f in 0..<facilities where written < events {
            buffer += "o-\(f),2026-10-01,B\(f),,obligate,\(obligation).00,,,\n"
            written += 1
        }
        // Disbursements of 1.00–9.99 and repayments of principal, dated through October in the
        // order they are generated (no accrual has run, so nothing is owed in interest and repay
        // is all principal; a repayment follows a larger disbursement of the same loan).
        var k = 0
        let spread = max(events - written, 1)
        while written < events {
            let f = k % facilities
            let day = 2 + k * 28 / spread
            if k >= facilities && k % 3 == 2 {
                buffer += "r-\(k),2026-10-\(day < 10 ? "0" : "")\(day),B\(f),,repay,1.00,,,\n"
            } else {
                buffer += "d-\(k),2026-10-\(day < 10 ? "0" : "")\(day),B\(f),,disburse,\(1 + k % 9).00,,,\n"
            }
            k += 1
            written += 1
            if buffer.utf8.count > 1 << 20 { flush() }
        }
        flush()
        try handle.close()
        emit(["facilities": facilities, "events": written])
    }
}

/// History for the balance queries and the reports: N journal lines on `facilities` direct loans
/// over 24 months, written by `SyntheticHistory` (and, with `--seal`, the chain sealed, so that
/// `verify` holds); then the per-day event sums, as the sealer's run keeps them.
struct LoadHistory: ParsableCommand {
    @Option var conninfo: String
    @Option var lines: Int
    @Option var facilities: Int = 1000
    @Flag(help: "Seal the generated entries too (slow: about 5,000 entries a second).") var seal = false

    func run() throws {
        let db = try Connection(conninfo: conninfo)
        let start = DispatchTime.now()
        let entries = lines / 2
        try SyntheticHistory.load(db, entries: entries, facilities: facilities)
        try db.execute(unsafeSQL: "ANALYZE ledger.balance_month; ANALYZE ledger.balance_total; ANALYZE ledger.event_month; ANALYZE ledger.event_total")
        let loaded = elapsedSeconds(since: start)
        let sealStart = DispatchTime.now()
        let sealed = seal ? try LedgerStore(connection: db).sealCommitted().sealed : 0
        emit(["lines": lines, "load_seconds": loaded, "seal_seconds": elapsedSeconds(since: sealStart), "sealed": sealed])
    }
}

/// The trial balance and the per-facility balances, R times each: the median in milliseconds.
struct Balances: ParsableCommand {
    @Option var conninfo: String
    @Option var repeats: Int = 7
    @Option var asOf: String = "2026-11-15"

    func run() throws {
        let store = try LedgerStore(conninfo: conninfo)
        let date = CivilDate(iso: asOf)!
        func median(_ body: () throws -> Int) throws -> (ms: Double, rows: Int) {
            var times: [Double] = []
            var rows = 0
            for _ in 0..<repeats {
                let start = DispatchTime.now()
                rows = try body()
                times.append(elapsedSeconds(since: start) * 1000)
            }
            return (times.sorted()[times.count / 2], rows)
        }
        let lines = try store.connection.scalar(Int64.self, "SELECT count(*) FROM ledger.journal_line") ?? 0
        let trial = try median { try store.balances(asOf: date).count }
        let perFacility = try median { try store.facilityBalances(asOf: date, accounts: ["135000", "134100", "169000", "161800", "920100"]).count }
        emit(["lines": lines, "trial_balance_ms": trial.ms, "trial_balance_rows": trial.rows, "facility_balances_ms": perFacility.ms, "facility_balance_rows": perFacility.rows])
    }
}

/// The baseline for bulk import: a raw COPY of N journal-line-shaped rows into an unconstrained table.
struct CopyBaseline: ParsableCommand {
    @Option var conninfo: String
    @Option var rows: Int

    func run() throws {
        let db = try Connection(conninfo: conninfo)
        try db.execute(unsafeSQL: """
            SET client_min_messages = warning;
            DROP TABLE IF EXISTS bench_copy;
            CREATE TABLE bench_copy (entry_id bigint, line_no int, account text, fund text, facility_id text, side text, amount_minor bigint, currency text)
            """)
        let start = DispatchTime.now()
        let copied = try db.copyIn("COPY bench_copy FROM STDIN") { copy in
            for i in 0..<rows {
                copy.append(Int64(i / 3))
                copy.append(Int64(i % 3 + 1))
                copy.append("135000")
                copy.append("FIN-DL")
                copy.append("B\(i % 1000)")
                copy.append(i % 2 == 0 ? "debit" : "credit")
                copy.append(Int64(100 + i % 1000))
                copy.append("USD")
                try copy.endRow()
            }
        }
        let elapsed = elapsedSeconds(since: start)
        try db.execute(unsafeSQL: "DROP TABLE bench_copy")
        emit(["rows": copied, "seconds": elapsed, "rows_per_second": Double(copied) / elapsed])
    }
}

/// What the journal's own indexes cost: the imported entries, lines and events inserted again,
/// in one transaction, into copies of their tables with the same indexes and nothing else (no
/// triggers, no foreign keys, no balances, no client). No import through those tables can be
/// faster than this on the same cluster.
struct IndexCeiling: ParsableCommand {
    @Option var conninfo: String

    func run() throws {
        let db = try Connection(conninfo: conninfo)
        try db.execute(unsafeSQL: """
            SET client_min_messages = warning;
            DROP SCHEMA IF EXISTS bench_ceiling CASCADE;
            CREATE SCHEMA bench_ceiling;
            CREATE TABLE bench_ceiling.journal_entry (LIKE ledger.journal_entry INCLUDING INDEXES);
            CREATE TABLE bench_ceiling.journal_line (LIKE ledger.journal_line INCLUDING INDEXES);
            CREATE TABLE bench_ceiling.event (LIKE ledger.event INCLUDING INDEXES);
            """)
        let lines = try db.scalar(Int64.self, "SELECT count(*) FROM ledger.journal_line") ?? 0
        // Read once first, so that both runs find the source in memory.
        try db.execute(unsafeSQL: "SELECT count(*) FROM ledger.journal_entry; SELECT count(*) FROM ledger.event")
        let start = DispatchTime.now()
        try db.execute(unsafeSQL: """
            BEGIN;
            INSERT INTO bench_ceiling.journal_entry SELECT * FROM ledger.journal_entry ORDER BY entry_id;
            INSERT INTO bench_ceiling.journal_line SELECT * FROM ledger.journal_line ORDER BY entry_id, line_no;
            INSERT INTO bench_ceiling.event SELECT * FROM ledger.event ORDER BY entry_id;
            COMMIT;
            """)
        let elapsed = elapsedSeconds(since: start)
        try db.execute(unsafeSQL: "DROP SCHEMA bench_ceiling CASCADE")
        emit(["lines": lines, "seconds": elapsed, "lines_per_second": Double(lines) / elapsed])
    }
}

/// A month of cash movements for reconciliation at scale: N receipts on FIN-DL's USD cash
/// (`SyntheticHistory.receipts`), and the bank's statements of them, every item matching one entry
/// by reference: a camt.053 and a BAI2 file in `out`.
struct ReconcileSetup: ParsableCommand {
    @Option var conninfo: String
    @Option var items: Int
    @Option var out: String

    func run() throws {
        let db = try Connection(conninfo: conninfo)
        try SyntheticHistory.receipts(db, items: items)

        // The statements: item k is entry rec-k, 100 + k cents, on day 1 + k % 30.
        func day(_ k: Int) -> Int { 1 + k % 30 }
        var total: Int64 = 0
        var camt = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><GrpHdr><MsgId>BENCH</MsgId></GrpHdr>
            <Stmt><Id>BENCH-\(items)</Id><FrToDt><FrDtTm>2026-11-01T00:00:00</FrDtTm><ToDtTm>2026-11-30T23:59:59</ToDtTm></FrToDt><Acct><Id><Othr><Id>4030-0001</Id></Othr></Id><Ccy>USD</Ccy></Acct>

            """
        var entries = ""
        var bai = ""
        for k in 1...items {
            let cents = Int64(100 + k)
            total += cents
            let amount = "\(cents / 100).\(cents % 100 < 10 ? "0" : "")\(cents % 100)"
            let date = "2026-11-\(day(k) < 10 ? "0" : "")\(day(k))"
            entries += "<Ntry><Amt Ccy=\"USD\">\(amount)</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>\(date)</Dt></BookgDt>"
                + "<AcctSvcrRef>B\(k)</AcctSvcrRef><NtryDtls><TxDtls><Refs><EndToEndId>rec-\(k)</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>\n"
            bai += "16,195,\(cents),V,2611\(day(k) < 10 ? "0" : "")\(day(k)),,B\(k),rec-\(k),Lockbox receipt/\n"
        }
        camt += "<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"USD\">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd></Bal>\n"
        camt += "<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"USD\">\(total / 100).\(total % 100 < 10 ? "0" : "")\(total % 100)</Amt><CdtDbtInd>CRDT</CdtDbtInd></Bal>\n"
        camt += entries + "</Stmt></BkToCstmrStmt></Document>\n"
        try camt.write(toFile: out + "/statement.xml", atomically: true, encoding: .utf8)
        // BAI2: 03 with opening 0 and closing total; control totals and record counts that tie.
        let accountTotal = total + total  // the closing summary and the details
        let accountRecords = items + 2
        let text = "01,BENCHBANK,DFCLEDGER,261201,0800,BENCH\(items),,,2/\n02,DFCLEDGER,BENCHBANK,1,261130,2400,USD,2/\n"
            + "03,4030-0001,USD,010,0,,,015,\(total),,/\n" + bai + "49,\(accountTotal),\(accountRecords)/\n"
            + "98,\(accountTotal),1,\(accountRecords + 2)/\n99,\(accountTotal),1,\(accountRecords + 4)/\n"
        try text.write(toFile: out + "/statement.bai", atomically: true, encoding: .utf8)
        emit(["items": items, "total_minor": total])
    }
}
