import ArgumentParser
import Dates
import Foundation
import Ledger
import LedgerStore
import Reconciliation
import Reports

/// Four eyes: the approval policy, the proposals awaiting certification, and their decisions.
struct Approvals: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Four eyes: the approval policy and the proposals awaiting a second officer's certification.",
        discussion: """
            A write the policy covers (an event type, a manual entry `post` or a reversal `reverse`, at or above \
            its USD threshold on its date; a month reopened, `period-reopen`; a limit set, `limits-set`) is proposed \
            instead of written, after every business rule; a member of \
            ledger_certifier other than the proposer approves it (`dfc-ledger approve ID`), which posts exactly \
            what was proposed, re-checking every rule, or rejects it with a reason.
            """,
        subcommands: [Policy.self, List.self, Show.self])

    struct Policy: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The approval policy, as dated configuration.", subcommands: [PolicyList.self, PolicySet.self])
    }

    struct PolicyList: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Every policy row, by kind and date.")
        @OptionGroup var output: TableFormatOption
        @OptionGroup var database: DatabaseOptions

        func run() throws {
            let policies = try database.store().approvalPolicies()
            struct Item: Encodable { var kind, from: String; var thresholdUsd: String?; var state, recordedBy: String; var recordedAt: String? }
            let items = policies.map {
                Item(
                    kind: $0.kind, from: $0.effectiveFrom.description, thresholdUsd: $0.thresholdUSD.map { Money(minorUnits: $0, currency: .usd).formatted },
                    state: $0.active ? "on" : "off", recordedBy: $0.recordedBy, recordedAt: $0.recordedAt?.description)
            }
            var table = TextTable(columns: [.init("kind"), .init("from"), .init("threshold_usd", .right), .init("state"), .init("recorded_by"), .init("recorded_at")])
            for i in items { table.append([i.kind, i.from, i.thresholdUsd.map(Grouping.grouped) ?? "every one", i.state, i.recordedBy, i.recordedAt ?? ""]) }
            switch output.format {
            case .json:
                struct Output: Encodable { var policies: [Item] }
                print(try JSONOutput.render(Output(policies: items)), terminator: "")
            case .csv: print(table.renderCSV(), terminator: "")
            case .table, .html: print(items.isEmpty ? "(no approval policy: every write posts at once)" : table.renderText(), terminator: items.isEmpty ? "\n" : "")
            }
        }
    }

    struct PolicySet: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set", abstract: "Add a policy row: from --from on, writes of --kind need a second officer (the ledger owner's right).")
        @Option(help: "An event type (disburse, write-off, …), post (a manual entry), reverse, period-reopen or limits-set.") var kind: String
        @Option(help: "Effective from, YYYY-MM-DD.") var from: String
        @Option(help: "Only writes of at least this many USD (default: every one).") var thresholdUsd: String?
        @Flag(help: "End the kind's coverage from --from on.") var off = false
        @OptionGroup var output: TableFormatOption
        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            guard CivilDate(iso: from) != nil else { throw ValidationError("--from \(from) is not a date in YYYY-MM-DD form") }
            if off && thresholdUsd != nil { throw ValidationError("--off takes no --threshold-usd") }
            guard ApprovalPolicy.kinds.contains(kind) else {
                throw ValidationError("--kind \(kind) is not one of \(ApprovalPolicy.kinds.joined(separator: ", "))")
            }
        }

        func run() throws {
            let threshold = try thresholdUsd.map { text in
                do { return try Money(parsing: text, currency: .usd).minorUnits } catch { throw UsageError("--threshold-usd \"\(text)\" is not an amount in USD") }
            }
            if let threshold, threshold < 0 { throw UsageError("--threshold-usd must not be negative") }
            try database.store().setApprovalPolicy(kind: kind, from: CivilDate(iso: from)!, thresholdUSD: threshold, active: !off)
            struct Detail: Encodable { var kind, from, state: String; var thresholdUsd: String? }
            let line =
                off
                ? "from \(from), \(kind) needs no certification"
                : "from \(from), \(kind) \(threshold.map { "of at least \(Money(minorUnits: $0, currency: .usd).formatted) USD " } ?? "")needs a second officer's certification"
            try NothingPosted.print(
                Detail(kind: kind, from: from, state: off ? "off" : "on", thresholdUsd: threshold.map { Money(minorUnits: $0, currency: .usd).formatted }),
                format: output.format, line: line)
        }
    }

    /// A proposal as listed and shown.
    struct Item: Encodable {
        var proposalId, kind, summary, proposedBy, proposedAt, status: String
        var amountUsd: String?
        var ageDays: Int
        var lastRefusal: String?
        var entryIds: [Int64]

        init(_ p: Proposal) {
            proposalId = p.id
            kind = p.kind
            summary = p.summary
            proposedBy = p.proposedBy
            proposedAt = p.proposedAt.description
            status = p.status.rawValue
            amountUsd = p.amountUSD.map { Money(minorUnits: $0, currency: .usd).formatted }
            let proposedOn = CivilDate(daysSinceEpoch: Int(p.proposedAt.microsecondsSinceEpoch / 86_400_000_000))
            ageDays = Aging.days(proposedOn, asOf: CivilDate.todayUTC())
            lastRefusal = p.decisions.last { $0.decision == "refused" }?.reason
            entryIds = p.entryIDs
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Proposals, newest first, with their age and amount.")
        @Flag(help: "Only those awaiting certification.") var pending = false
        @OptionGroup var output: TableFormatOption
        @OptionGroup var database: DatabaseOptions

        func run() throws {
            let items = try database.store().proposals(pendingOnly: pending).map(Item.init)
            var table = TextTable(columns: [
                .init("proposal"), .init("status"), .init("age", .right), .init("amount_usd", .right), .init("proposed_by"), .init("summary"),
            ])
            for i in items {
                table.append([i.proposalId, i.status, "\(i.ageDays)d", i.amountUsd.map(Grouping.grouped) ?? "", i.proposedBy, i.summary])
            }
            switch output.format {
            case .json:
                struct Output: Encodable { var proposals: [Item] }
                print(try JSONOutput.render(Output(proposals: items)), terminator: "")
            case .csv: print(table.renderCSV(), terminator: "")
            case .table, .html:
                print(items.isEmpty ? "(no \(pending ? "pending " : "")proposals)" : table.renderText(), terminator: items.isEmpty ? "\n" : "")
                for i in items where i.lastRefusal != nil { print("! \(i.proposalId): the last approval was refused: \(i.lastRefusal!)") }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One proposal: what it will post, who proposed it, and every decision on it.")
        @Argument(help: "The proposal id, e.g. P-000001.") var id: String
        @OptionGroup var output: TableFormatOption
        @OptionGroup var database: DatabaseOptions

        func run() throws {
            guard let p = try database.store().proposal(id: id) else { throw UsageError("no proposal has id \(id) (see dfc-ledger approvals list)") }
            struct Decision: Encodable { var decision: String; var reason: String?; var decidedBy, decidedAt: String }
            struct Output: Encodable {
                var proposal: Item
                var decisions: [Decision]
                var content: String
            }
            let decisions = p.decisions.map { Decision(decision: $0.decision, reason: $0.reason, decidedBy: $0.decidedBy, decidedAt: $0.decidedAt.description) }
            switch output.format {
            case .json: print(try JSONOutput.render(Output(proposal: Item(p), decisions: decisions, content: p.content)), terminator: "")
            case .csv, .table, .html:
                let i = Item(p)
                print("Proposal \(p.id) (\(p.kind)): \(i.status.uppercased())")
                print("  \(p.summary)")
                print("  proposed by \(p.proposedBy) at \(p.proposedAt), \(i.ageDays) days ago; largest covered amount \(i.amountUsd.map { Grouping.grouped($0) + " USD" } ?? "not convertible")")
                if !p.entryIDs.isEmpty { print("  posted as entries \(p.entryIDs.map(String.init).joined(separator: ", "))") }
                for d in decisions { print("  \(d.decision) by \(d.decidedBy) at \(d.decidedAt)\(d.reason.map { ": \($0)" } ?? "")") }
                print("\nWhat approval posts (stored as proposed, SHA-256 checked at approval):\n\(p.content)")
            }
        }
    }
}

struct Approve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Certify a proposal: post exactly what it holds, re-checking every business rule.",
        discussion: """
            Needs the ledger_certifier role and a login other than the proposer's (else exit 77). An unknown, \
            approved, rejected or altered proposal exits 65. A business rule that refuses now (a limit that moved \
            since, say) exits 65 and leaves the proposal pending, the refusal noted on it.
            """)
    @Argument(help: "The proposal id.") var id: String
    @OptionGroup var output: TableFormatOption
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let store = try database.store()
        let results = try store.approve(id)
        store.sealAfterWrite()
        let written = WrittenEntries(results)
        let n = results.count { $0.status == .created }
        if output.format == .table {
            print("approved \(id): \(n) entr\(n == 1 ? "y" : "ies") posted\(results.isEmpty ? " (\(try store.proposal(id: id)?.summary ?? ""))" : "")")
        }
        try written.print(format: output.format)
    }
}

struct Reject: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Reject a proposal, with a reason; nothing is posted.")
    @Argument(help: "The proposal id.") var id: String
    @Option(help: "Why (recorded).") var reason: String
    @OptionGroup var output: TableFormatOption
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        try database.store().reject(id, reason: reason)
        struct Detail: Encodable { var proposalId, status, reason: String }
        try NothingPosted.print(Detail(proposalId: id, status: "rejected", reason: reason), format: output.format, line: "rejected \(id): \(reason)")
    }
}
