import ArgumentParser
import Foundation
import Ledger
import LedgerStore
import Reports

/// The books do not verify: `verify` printed what it found, and exits 65.
struct BooksDoNotVerify: Error, CustomStringConvertible {
    var problemCount: Int
    var description: String { "the books do not verify: \(problemCount) problem\(problemCount == 1 ? "" : "s") (listed above)" }
}

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Recompute the audit chain and every stored balance from the journal's lines.",
        discussion: """
            Seals the committed entries not sealed yet, then, in one snapshot, recomputes every seal \
            (SHA-256 over the entry's canonical encoding and the seal before it), checks each link and \
            the chain's order, re-checks each entry's balance, and recomputes every stored balance from \
            the lines (per day, and per month for the months ever closed; a month row of a month never \
            closed is a problem too). Prints the chain's head (SEQ:SHA256): keep it outside the database, and pass \
            it to a later run with --expect-head to prove the chain was not rewritten since. \
            Exit 0 only if everything holds; 65 if anything does not (each problem is listed).
            """)

    @Flag(help: "Do not seal first (for a read-only replica): unsealed entries are counted as pending.")
    var noSeal = false
    @Option(help: ArgumentHelp("A head printed by an earlier run, which the chain must still hold.", valueName: "seq:sha256"))
    var expectHead: String?
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: TableFormatOption

    func validate() throws {
        if let expectHead, ChainHead(parsing: expectHead) == nil {
            throw ValidationError("--expect-head \"\(expectHead)\" is not SEQ:SHA256 (a chain number, a colon and 64 lowercase hex digits)")
        }
    }

    func run() throws {
        let report = try database.store().verify(sealFirst: !noSeal, expectedHead: expectHead.flatMap { ChainHead(parsing: $0) })
        let summary = VerifySummary(report)
        switch output.format {
        case .json: print(try JSONOutput.render(summary), terminator: "")
        case .csv: print(summary.table.renderCSV(), terminator: "")
        case .table, .html: print(summary.text, terminator: "")
        }
        guard report.isIntact else { throw BooksDoNotVerify(problemCount: report.problemCount) }
    }
}

extension LedgerStore {
    /// After a write command: chain what is committed, without waiting for a sealer already at work
    /// (it will take these entries). A failure here does not undo the write, so it is only reported.
    func sealAfterWrite() {
        do { try sealCommitted(wait: false) } catch {
            FileHandle.standardError.write(Data("dfc-ledger: warning: written, but not sealed yet (the next write or verify seals it): \(error)\n".utf8))
        }
    }
}

extension DatabaseOptions {
    /// After a large write, on a connection of its own: the summaries brought up to date (the
    /// sealer's run would do it after sealing). A failure is only reported: reads stay exact, and
    /// the next run summarizes.
    func summarizeAfterWrite() {
        do { try store().summarize() } catch {
            FileHandle.standardError.write(Data("dfc-ledger: warning: written, but not summarized yet (the next write or verify does it): \(error)\n".utf8))
        }
    }
}

extension ExportFormat: ExpressibleByArgument {}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write every entry as an hledger journal or a beancount ledger, amounts exact.",
        discussion: """
            Accounts and commodities are declared first, so `hledger -s -f FILE bal` and `bean-check FILE` \
            accept the file; each entry carries its entry id, event id, recording time and user, and its \
            seal. The same books always export to the same bytes. With --output the file is written \
            whole or not at all.
            """)

    @Option(help: "hledger or beancount.") var format: ExportFormat
    @Option(help: "Write to this file instead of standard output.") var output: String?
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let store = try database.store()
        let keys = try store.postedKeys()
        let chart = try store.accounts()
        let byNumber = Dictionary(uniqueKeysWithValues: chart.map { ($0.number, $0) })
        let exporter = JournalExport(format: format, accounts: chart)
        let accounts = try keys.accounts.map { key in
            guard let account = byNumber[key.account] else { throw LedgerError.unknownAccount(key.account) }
            return ExportAccount(account: account, fund: key.fund, facility: key.facility)
        }
        let sink = try OutputSink(path: output)
        do {
            try sink.write(exporter.header(currencies: try keys.currencies.map(Currency.named), postingAccounts: accounts))
            try store.allEntries { entry, seal in try sink.write(exporter.entry(entry, seal: seal)) }
            try sink.commit()
        } catch {
            sink.discard()
            throw error
        }
    }
}

/// Standard output, or a file that appears only when complete: written beside its final name and
/// renamed into place by `commit()`; `discard()` removes the partial file.
final class OutputSink {
    private let handle: FileHandle
    private let path: String?
    private let temporary: String?
    private var buffer: [UInt8] = []

    init(path: String?) throws {
        self.path = path
        guard let path else {
            handle = FileHandle.standardOutput
            temporary = nil
            return
        }
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial-\(getpid())").path
        guard FileManager.default.createFile(atPath: temporary, contents: nil), let handle = FileHandle(forWritingAtPath: temporary) else {
            throw InputError(file: path, field: "--output", value: path, reason: "cannot be written")
        }
        self.handle = handle
        self.temporary = temporary
    }

    func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { try flush() }
    }

    private func flush() throws {
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    func commit() throws {
        try flush()
        guard let temporary, let path else { return }
        try handle.close()
        guard rename(temporary, path) == 0 else {
            discard()
            throw InputError(file: path, field: "--output", value: path, reason: "cannot be written (rename failed)")
        }
    }

    /// Writes a whole report to `path` (whole or not at all, then says where) or to standard output.
    static func write(_ text: String, to path: String?) throws {
        let sink = try OutputSink(path: path)
        do {
            try sink.write(text)
            try sink.commit()
        } catch {
            sink.discard()
            throw error
        }
        if let path { print("wrote \(path)") }
    }

    func discard() {
        guard let temporary else { return }
        try? handle.close()
        try? FileManager.default.removeItem(atPath: temporary)
    }
}
