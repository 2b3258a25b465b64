import Foundation

/// Runs `body(0)` … `body(count - 1)` each on a thread of its own, all at once, and returns when
/// every one has returned: N concurrent clients. `DispatchQueue.concurrentPerform` is not that:
/// its width is the number of cores, so on two cores eight "clients" ran two at a time.
public func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for i in 0..<count {
        group.enter()
        Thread {
            body(i)
            group.leave()
        }.start()
    }
    group.wait()
}
