import Foundation
import Postgres

/// Where the tests' PostgreSQL is: `DFC_TEST_CONNINFO`, which Scripts/test sets to the cluster it
/// started. Tests isolate themselves: by temporary tables on their own connection, or by a
/// database of their own made with `withFreshDatabase`.
public enum TestDatabase {
    public static var conninfo: String {
        guard let value = ProcessInfo.processInfo.environment["DFC_TEST_CONNINFO"], !value.isEmpty else {
            fatalError("DFC_TEST_CONNINFO is not set: run the tests with Scripts/test, or set it to a conninfo")
        }
        return value
    }

    public static func connect(_ conninfo: String = TestDatabase.conninfo, options: ConnectionOptions = ConnectionOptions()) throws -> Connection {
        try Connection(conninfo: conninfo, options: options)
    }

    /// Creates an empty database, runs `body` with its conninfo, and drops it afterwards.
    public static func withFreshDatabase<T>(_ body: (String) throws -> T) throws -> T {
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let admin = try connect()
        try admin.execute(unsafeSQL: "CREATE DATABASE \(name)")
        defer { _ = try? admin.execute(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
        return try body(conninfo + " dbname=\(name)")
    }

    /// The process's resident set size in bytes (Linux), for memory-bound checks.
    public static func residentBytes() -> Int {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let pages = statm.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
