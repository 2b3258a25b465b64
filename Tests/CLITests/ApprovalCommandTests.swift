// Proves four eyes against the real server, through the command line and through raw SQL: a
// covered disbursement is proposed, not posted, and posts once a second officer certifies it; the
// proposer certifying it, a login without ledger_certifier, a raw posting of a covered entry, an
// unknown, decided or altered proposal are refused with their exit codes; a proposal within the
// MCL when made is refused at approval when the cap has been used up since, and stays pending; two
// certifiers approving at once post once; an import with one covered event waits whole and posts
// whole; the audit chain verifies across v1 and v2 seals and names an altered approver.
import Foundation
import Postgres
import Synchronization
import TestSupport
import Testing

@Suite struct ApprovalCommandTests {
    /// The October book (funded, obligated, first disbursements) with a policy covering
    /// disbursements of at least 1,000,000.00 USD, and three logins: an officer and two certifiers.
    struct Book {
        var conninfo: String
        var officer: String
        var certifierA: String
        var certifierB: String
        var users: [String]
        var admin: Connection

        func asUser(_ user: String) -> String { conninfo + " user=\(user)" }
    }

    static func withBook(policy: [String] = ["--kind", "disburse", "--threshold-usd", "1000000"], _ body: (Book) throws -> Void) throws {
        try TestDatabase.withFreshDatabase { conninfo in
            #expect(try CLI.run(["db", "migrate", "--database", conninfo]).exitCode == 0)
            let samples = FacilityCommandTests.samples
            for (command, file) in [("facilities", "facilities.csv"), ("rates", "rates.csv"), ("fx-rates", "fx-rates.csv"), ("events", "events-2026-10.csv")] {
                let r = try CLI.run(["import", command, samples.appendingPathComponent(file).path, "--database", conninfo])
                #expect(r.exitCode == 0, "\(file): \(r.stderr)")
            }
            let suffix = UUID().uuidString.prefix(8).lowercased()
            let (officer, a, b) = ("officer_\(suffix)", "certifier_a_\(suffix)", "certifier_b_\(suffix)")
            let admin = try TestDatabase.connect(conninfo)
            try admin.execute(
                unsafeSQL: "CREATE ROLE \(officer) LOGIN IN ROLE ledger_officer; CREATE ROLE \(a) LOGIN IN ROLE ledger_certifier; CREATE ROLE \(b) LOGIN IN ROLE ledger_certifier")
            defer { _ = try? admin.execute(unsafeSQL: "DROP ROLE IF EXISTS \(officer); DROP ROLE IF EXISTS \(a); DROP ROLE IF EXISTS \(b)") }
            let set = try CLI.run(["approvals", "policy", "set", "--from", "2026-01-01"] + policy + ["--database", conninfo])
            #expect(set.exitCode == 0, "\(set.stderr)")
            try body(Book(conninfo: conninfo, officer: officer, certifierA: a, certifierB: b, users: [officer, a, b], admin: admin))
        }
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// Runs a write as `user` with --format json; its `entries`.
    static func entries(_ args: [String], _ book: Book, as user: String) throws -> [[String: Any]] {
        let r = try CLI.run(args + ["--format", "json", "--database", book.asUser(user)])
        #expect(r.exitCode == 0, "\(args): \(r.stderr)")
        return try #require(try json(r.stdout)["entries"] as? [[String: Any]])
    }

    static func disburse(_ id: String, _ amount: String, _ book: Book, as user: String) throws -> [[String: Any]] {
        try entries(["disburse", "--event-id", id, "--date", "2026-11-02", "--facility", "DPA-2026-0007", "--amount", amount], book, as: user)
    }

    @Test func aCoveredDisbursementWaitsForASecondOfficer() throws {
        try Self.withBook { book in
            let proposed = try Self.disburse("D-BIG", "2000000", book, as: book.officer)
            #expect(proposed.count == 1 && proposed[0]["status"] as? String == "proposed" && proposed[0]["entry_id"] is NSNull)
            let id = try #require(proposed[0]["proposal_id"] as? String)
            #expect(try book.admin.scalar(Int.self, "SELECT count(*) FROM ledger.event WHERE event_id = 'D-BIG'") == 0, "nothing posted")
            // The same command again: the same proposal, not a second one.
            #expect(try Self.disburse("D-BIG", "2000000", book, as: book.officer)[0]["proposal_id"] as? String == id)
            #expect(try book.admin.scalar(Int.self, "SELECT count(*) FROM ledger.proposal") == 1)
            // Below the threshold: posted at once.
            #expect(try Self.disburse("D-SMALL", "999999.99", book, as: book.officer)[0]["status"] as? String == "created")

            // Pending, it is in no figure: the reports show it apart, as what would change if certified.
            let exposure = try Self.json(try CLI.run(["report", "exposure", "--month", "2026-11", "--format", "json", "--database", book.conninfo]).stdout)
            let pending = try #require(exposure["pending_certification"] as? [[String: Any]])
            #expect(pending.count == 1 && pending[0]["proposal_id"] as? String == id && pending[0]["amount_usd"] as? String == "2000000.00")
            let row = try #require((exposure["facilities"] as? [[String: Any]])?.first { $0["facility_id"] as? String == "DPA-2026-0007" })
            #expect(row["disbursed"] as? String == "10999999.99", "October's 10,000,000.00 and D-SMALL, not D-BIG: \(row)")
            let statement = try CLI.run(["report", "facility", "DPA-2026-0007", "--as-of", "2026-11-30", "--database", book.conninfo])
            #expect(statement.stdout.contains("Awaiting certification") && statement.stdout.contains("D-BIG"), "\(statement.stdout)")
            let page = try CLI.run(["report", "exposure", "--month", "2026-11", "--format", "html", "--database", book.conninfo]).stdout
            #expect(page.contains("<h2>Awaiting certification</h2>") && page.contains("<td>D-BIG</td>") && page.contains(id))
            let statementPage = try CLI.run(["report", "facility", "DPA-2026-0007", "--as-of", "2026-11-30", "--format", "html", "--database", book.conninfo]).stdout
            #expect(statementPage.contains("<h2>Awaiting certification</h2>") && statementPage.contains("<td>D-BIG</td>"))

            // Not a certifier: 77, naming the role. Unknown: 65.
            let officer = try CLI.run(["approve", id, "--database", book.asUser(book.officer)])
            #expect(officer.exitCode == 77 && officer.stderr.contains("needs the ledger_certifier role"), "\(officer.stderr)")
            let asOfficer = try Connection(conninfo: book.asUser(book.officer))
            #expect { try asOfficer.execute("SELECT ledger.begin_approval(\(id))") } throws: {
                ($0 as? PostgresError)?.code == .insufficientPrivilege && "\($0)".contains("ledger_certifier")
            }
            #expect(try CLI.run(["approve", "P-999999", "--database", book.asUser(book.certifierA)]).exitCode == 65)

            let approved = try Self.entries(["approve", id], book, as: book.certifierA)
            #expect(approved.count == 1 && approved[0]["status"] as? String == "created" && approved[0]["event_id"] as? String == "D-BIG")
            let approval = try book.admin.query("SELECT proposal_id, proposed_by, approved_by FROM ledger.entry_approval")
            #expect(approval.count == 1)
            #expect(try approval[0].decode(String.self, at: 0) == id && approval[0].decode(String.self, at: 1) == book.officer
                && approval[0].decode(String.self, at: 2) == book.certifierA)
            let again = try CLI.run(["approve", id, "--database", book.asUser(book.certifierB)])
            #expect(again.exitCode == 65 && again.stderr.contains("approved already"), "\(again.stderr)")
            #expect(try CLI.run(["reject", id, "--reason", "late", "--database", book.asUser(book.certifierB)]).exitCode == 65)
            let asB = try Connection(conninfo: book.asUser(book.certifierB))
            #expect { try asB.execute("SELECT ledger.begin_approval(\(id))") } throws: { ($0 as? PostgresError)?.code?.rawValue == "LX007" }
            #expect { try asB.execute("SELECT ledger.begin_approval('P-999999')") } throws: { ($0 as? PostgresError)?.code?.rawValue == "LX007" }
            let after = try Self.json(try CLI.run(["report", "exposure", "--month", "2026-11", "--format", "json", "--database", book.conninfo]).stdout)
            #expect(after["pending_certification"] == nil, "certified: in the figures now")
            #expect(!(try CLI.run(["report", "exposure", "--month", "2026-11", "--format", "html", "--database", book.conninfo]).stdout.contains("Awaiting certification")))
            let list = try Self.json(try CLI.run(["approvals", "list", "--format", "json", "--database", book.conninfo]).stdout)
            #expect((list["proposals"] as? [[String: Any]])?.first?["status"] as? String == "approved")

            // v1 and v2 seals verify together; an approver altered by a superuser is named.
            #expect(try CLI.run(["verify", "--database", book.conninfo]).exitCode == 0)
            try book.admin.execute(unsafeSQL: "SET session_replication_role = replica; UPDATE ledger.entry_approval SET approved_by = 'mallory'; RESET session_replication_role")
            let verify = try CLI.run(["verify", "--database", book.conninfo])
            #expect(verify.exitCode == 65 && verify.stdout.contains("(D-BIG)") && verify.stdout.contains("changed after it was sealed"), "\(verify.stdout)")
        }
    }

    @Test func selfApprovalRawPostingAndAlteredProposalsAreRefused() throws {
        try Self.withBook { book in
            // A certifier is an officer too, and may propose; but not certify what they proposed.
            let id = try #require(try Self.disburse("D-SELF", "1500000", book, as: book.certifierA)[0]["proposal_id"] as? String)
            let own = try CLI.run(["approve", id, "--database", book.asUser(book.certifierA)])
            #expect(own.exitCode == 77 && own.stderr.contains("four eyes") && own.stderr.contains("proposed by \(book.certifierA)"), "\(own.stderr)")
            // The database says the same to raw SQL.
            let asA = try Connection(conninfo: book.asUser(book.certifierA))
            for sql: SQL in ["SELECT ledger.begin_approval(\(id))", "SELECT ledger.finish_approval(\(id))"] {
                #expect { try asA.execute(sql) } throws: { ($0 as? PostgresError)?.code == .insufficientPrivilege && "\($0)".contains("four eyes") }
            }
            // A covered disbursement posted straight through the posting function: refused at commit.
            let asOfficer = try Connection(conninfo: book.asUser(book.officer))
            #expect {
                try asOfficer.execute(
                    """
                    SELECT ledger.post_entry('RAW-1', DATE '2026-11-03', 'raw', NULL, false, ARRAY['135000','101000','480100','490200'],
                           ARRAY['FIN-DL','FIN-DL','FIN-DL','FIN-DL'], ARRAY['DPA-2026-0007','DPA-2026-0007','DPA-2026-0007','DPA-2026-0007'],
                           ARRAY['debit','credit','debit','credit'], ARRAY[500000000,500000000,500000000,500000000]::bigint[],
                           ARRAY['USD','USD','USD','USD'],
                           '{"event_id":"RAW-1","event_type":"disburse","facility_id":"DPA-2026-0007","fund":"FIN-DL","effective_date":"2026-11-03","amount_minor":500000000,"currency":"USD","reference":"","memo":""}'::jsonb)
                    """)
            } throws: { ($0 as? PostgresError)?.code == .insufficientPrivilege && "\($0)".contains("needs certification") }
            #expect(try book.admin.scalar(Int.self, "SELECT count(*) FROM ledger.journal_entry WHERE event_key = 'RAW-1'") == 0)
            // Nor can anyone write an approval row.
            #expect(throws: PostgresError.self) {
                try asA.execute("INSERT INTO ledger.entry_approval VALUES (1, \(id), 'x', now(), 'y', now())")
            }

            // Altered by a superuser after it was made: refused at approval, named by verify.
            try book.admin.execute(
                unsafeSQL: """
                    SET session_replication_role = replica;
                    UPDATE ledger.proposal SET content = jsonb_set(content, '{events,0,amount_minor}', '"900000000"');
                    RESET session_replication_role
                    """)
            let altered = try CLI.run(["approve", id, "--database", book.asUser(book.certifierB)])
            #expect(altered.exitCode == 65 && altered.stderr.contains("altered after it was proposed"), "\(altered.stderr)")
            let verify = try CLI.run(["verify", "--database", book.conninfo])
            #expect(verify.exitCode == 65 && verify.stdout.contains("proposal \(id)"), "\(verify.stdout)")

            // Rejected: then it cannot be approved.
            let other = try #require(try Self.disburse("D-REJ", "1200000", book, as: book.officer)[0]["proposal_id"] as? String)
            #expect(try CLI.run(["reject", other, "--reason", " ", "--database", book.asUser(book.certifierB)]).exitCode == 65, "a reason is needed")
            #expect(try CLI.run(["reject", other, "--reason", "wrong tranche", "--database", book.asUser(book.certifierB)]).exitCode == 0)
            let late = try CLI.run(["approve", other, "--database", book.asUser(book.certifierA)])
            #expect(late.exitCode == 65 && late.stderr.contains("rejected already"), "\(late.stderr)")
        }
    }

    @Test func aProposalThatWouldCrossTheCapAtApprovalIsRefusedThenAndStaysPending() throws {
        try Self.withBook(policy: ["--kind", "obligate", "--threshold-usd", "1000000"]) { book in
            // An MCL 1,500,000.00 above what is used now.
            let limits = try Self.json(try CLI.run(["report", "limits", "--as-of", "2026-11-02", "--format", "json", "--database", book.conninfo]).stdout)
            let mcl = try #require((limits["limits"] as? [[String: Any]])?.first { $0["limit"] as? String == "mcl" })
            let usedText = try #require(mcl["used"] as? String)
            let used = try #require(Decimal(string: usedText))
            let cap = "\(used + 1_500_000)"
            #expect(try CLI.run(["limits", "set", "mcl", "--kind", "mcl", "--from", "2026-11-01", "--cap-usd", cap, "--severity", "block", "--database", book.conninfo]).exitCode == 0)
            // Within the cap when proposed…
            let id = try #require(
                try Self.entries(["obligate", "--event-id", "OBL-MORE", "--date", "2026-11-02", "--facility", "DPA-2026-0007", "--amount", "1000000"], book, as: book.officer)[0]["proposal_id"] as? String)
            // …then 900,000.00 of the room is used by an obligation below the threshold.
            #expect(try Self.entries(["obligate", "--event-id", "OBL-OTHER", "--date", "2026-11-02", "--facility", "DPA-2026-0011", "--amount", "900000"], book, as: book.officer)[0]["status"] as? String == "created")
            let refused = try CLI.run(["approve", id, "--database", book.asUser(book.certifierA)])
            #expect(refused.exitCode == 65 && refused.stderr.contains("limit mcl") && refused.stderr.contains("still pending"), "\(refused.stderr)")
            #expect(try book.admin.scalar(Int.self, "SELECT count(*) FROM ledger.event WHERE event_id = 'OBL-MORE'") == 0)
            let pending = try Self.json(try CLI.run(["approvals", "list", "--pending", "--format", "json", "--database", book.conninfo]).stdout)
            let item = try #require((pending["proposals"] as? [[String: Any]])?.first)
            #expect(item["proposal_id"] as? String == id && (item["last_refusal"] as? String)?.contains("limit mcl") == true)
        }
    }

    @Test func twoCertifiersApprovingAtOnceApproveOnce() throws {
        try Self.withBook { book in
            let id = try #require(try Self.disburse("D-RACE", "3000000", book, as: book.officer)[0]["proposal_id"] as? String)
            let codes = Mutex<[Int32]>([])
            let logins = [book.asUser(book.certifierA), book.asUser(book.certifierB)]
            DispatchQueue.concurrentPerform(iterations: 2) { i in
                let r = try? CLI.run(["approve", id, "--database", logins[i]])
                codes.withLock { $0.append(r?.exitCode ?? -1) }
            }
            #expect(codes.withLock { $0.sorted() } == [0, 65])
            #expect(try book.admin.scalar(Int.self, "SELECT count(*) FROM ledger.event WHERE event_id = 'D-RACE'") == 1)
            #expect(try book.admin.scalar(Int.self, "SELECT count(*) FROM ledger.proposal_decision WHERE decision = 'approved'") == 1)
        }
    }

    @Test func anImportWithOneCoveredEventWaitsWholeAndPostsWhole() throws {
        try Self.withBook { book in
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)-nov.csv")
            try """
                event_id,date,facility_id,fund,type,amount,currency,reference,memo
                N-1,2026-11-03,DPA-2026-0011,,disburse,100000.00,,,
                N-2,2026-11-04,DPA-2026-0007,,disburse,5000000.00,,,second tranche
                N-3,2026-11-05,DPA-2027-0005,,disburse,50000.00,,,

                """.write(to: file, atomically: true, encoding: .utf8)
            let r = try CLI.run(["import", "events", file.path, "--database", book.asUser(book.officer)])
            #expect(r.exitCode == 0 && r.stdout.contains("proposed P-") && r.stdout.contains("3 events"), "\(r.stdout) \(r.stderr)")
            #expect(try book.admin.scalar(Int.self, "SELECT count(*) FROM ledger.event WHERE event_id LIKE 'N-%'") == 0, "nothing posted, not even the small ones")
            let id = try #require(try book.admin.scalar(String.self, "SELECT proposal_id FROM ledger.proposal"))
            let approved = try Self.entries(["approve", id], book, as: book.certifierB)
            #expect(approved.map { $0["event_id"] as? String } == ["N-1", "N-2", "N-3"] && approved.allSatisfy { $0["status"] as? String == "created" })
            #expect(try book.admin.scalar(Int.self, "SELECT count(*) FROM ledger.entry_approval WHERE proposal_id = \(id)") == 3)
            // The file again: everything is posted already.
            let again = try Self.entries(["import", "events", file.path], book, as: book.officer)
            #expect(again.allSatisfy { $0["status"] as? String == "existing" })
        }
    }

    @Test func aManualEntryAndItsReversalAreProposedAndCertified() throws {
        try Self.withBook(policy: ["--kind", "post"]) { book in
            #expect(try CLI.run(["approvals", "policy", "set", "--kind", "reverse", "--from", "2026-01-01", "--database", book.conninfo]).exitCode == 0)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)-adj.json")
            try """
                {"event_id": "ADJ-1", "date": "2026-11-30", "description": "Treasury account fee",
                 "lines": [{"account": "610000", "fund": "FIN-DL", "side": "debit", "amount": "25.00", "currency": "USD"},
                           {"account": "101000", "fund": "FIN-DL", "side": "credit", "amount": "25.00", "currency": "USD"}]}
                """.write(to: file, atomically: true, encoding: .utf8)
            let proposed = try Self.entries(["post", file.path], book, as: book.officer)
            let id = try #require(proposed.first?["proposal_id"] as? String)
            #expect(try book.admin.scalar(Int.self, "SELECT count(*) FROM ledger.journal_entry WHERE event_key = 'ADJ-1'") == 0)
            let posted = try Self.entries(["approve", id], book, as: book.certifierA)
            let entry = try #require((posted.first?["entry_id"] as? NSNumber)?.int64Value)
            // Its reversal is covered too: proposed, then certified by the other certifier.
            let reversal = try Self.entries(["reverse", String(entry), "--effective", "2026-11-30", "--reason", "booked twice"], book, as: book.officer)
            let rid = try #require(reversal.first?["proposal_id"] as? String)
            #expect(try Self.entries(["approve", rid], book, as: book.certifierB).first?["status"] as? String == "created")
            #expect(try book.admin.scalar(Int.self, "SELECT count(*) FROM ledger.journal_entry WHERE reverses = \(entry)") == 1)
            #expect(try book.admin.scalar(Int.self, "SELECT count(*) FROM ledger.entry_approval") == 2)
            #expect(try CLI.run(["verify", "--database", book.conninfo]).exitCode == 0)
        }
    }

    @Test func reopeningAMonthAndSettingALimitWaitForASecondPerson() throws {
        try Self.withBook(policy: ["--kind", "period-reopen"]) { book in
            #expect(try CLI.run(["approvals", "policy", "set", "--kind", "limits-set", "--from", "2026-01-01", "--database", book.conninfo]).exitCode == 0)
            #expect(try CLI.run(["period", "close", "2026-10", "--database", book.conninfo]).exitCode == 0)
            func state() throws -> String? {
                try book.admin.scalar(String.self, "SELECT action FROM ledger.period_event WHERE month = '2026-10-01' ORDER BY period_event_id DESC LIMIT 1")
            }
            let reopen = try CLI.run(["period", "reopen", "2026-10", "--reason", "late invoice", "--format", "json", "--database", book.asUser(book.officer)])
            let id = try #require(try Self.json(reopen.stdout)["proposal_id"] as? String, "\(reopen.stdout) \(reopen.stderr)")
            #expect(try state() == "close", "still closed until certified")
            // Straight into the table, as an officer: refused at commit.
            let asOfficer = try Connection(conninfo: book.asUser(book.officer))
            #expect {
                try asOfficer.execute("INSERT INTO ledger.period_event (month, action, reason) VALUES ('2026-10-01', 'reopen', 'raw')")
            } throws: { ($0 as? PostgresError)?.code == .insufficientPrivilege && "\($0)".contains("needs certification") }
            #expect(try CLI.run(["approve", id, "--database", book.asUser(book.certifierA)]).exitCode == 0)
            #expect(try state() == "reopen")

            // A limit: proposed even by the owner; approved by another login with the owner's right.
            let set = try CLI.run(["limits", "set", "mcl", "--kind", "mcl", "--from", "2027-01-01", "--cap-usd", "100000000000", "--severity", "block", "--format", "json", "--database", book.conninfo])
            let limit = try #require(try Self.json(set.stdout)["proposal_id"] as? String, "\(set.stdout) \(set.stderr)")
            #expect(try book.admin.scalar(Int.self, "SELECT count(*) FROM ledger.limit_config WHERE effective_from = '2027-01-01'") == 0)
            let noRight = try CLI.run(["approve", limit, "--database", book.asUser(book.certifierA)])
            #expect(noRight.exitCode == 77 && noRight.stderr.contains("limit_config"), "a certifier without the owner's right: \(noRight.stderr)")
            let owner = "owner_\(UUID().uuidString.prefix(8).lowercased())"
            try book.admin.execute(unsafeSQL: "CREATE ROLE \(owner) LOGIN IN ROLE ledger_owner, ledger_certifier")
            defer { _ = try? book.admin.execute(unsafeSQL: "DROP ROLE IF EXISTS \(owner)") }
            #expect(try CLI.run(["approve", limit, "--database", book.asUser(owner)]).exitCode == 0)
            #expect(try book.admin.scalar(Int.self, "SELECT count(*) FROM ledger.limit_config WHERE effective_from = '2027-01-01'") == 1)
            #expect(try book.admin.scalar(Int.self, "SELECT count(*) FROM ledger.record_approval") == 2)
        }
    }

    @Test func aMonthEndTheAccruePolicyCoversIsProposedWholeAndPostedAsProposed() throws {
        try Self.withBook(policy: ["--kind", "accrue"]) { book in
            let run = try CLI.run(["month-end", "2026-10", "--format", "json", "--database", book.asUser(book.officer)])
            #expect(run.exitCode == 0, "\(run.stderr)")
            let entries = try #require(try Self.json(run.stdout)["entries"] as? [[String: Any]])
            let id = try #require(entries.first?["proposal_id"] as? String)
            #expect(!entries.isEmpty && entries.allSatisfy { $0["status"] as? String == "proposed" && $0["entry_id"] is NSNull })
            #expect(try book.admin.scalar(Int.self, "SELECT count(*) FROM ledger.event WHERE event_type = 'accrue'") == 0)
            let approved = try Self.entries(["approve", id], book, as: book.certifierA)
            #expect(approved.count == entries.count && approved.allSatisfy { $0["status"] as? String == "created" })
            #expect(try book.admin.scalar(Int.self, "SELECT count(*) FROM ledger.entry_approval") == entries.count)
            // Run again: everything posted already.
            let again = try Self.json(try CLI.run(["month-end", "2026-10", "--format", "json", "--database", book.asUser(book.officer)]).stdout)
            #expect((again["entries"] as? [[String: Any]])?.allSatisfy { $0["status"] as? String == "existing" } == true)
        }
    }
}
