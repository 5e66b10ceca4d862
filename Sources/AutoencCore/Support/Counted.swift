/// "1 thread", "2 threads": a count and its noun, plural unless the count is one.
public func counted(_ count: Int, _ noun: String) -> String {
    count == 1 ? "1 \(noun)" : "\(count) \(noun)s"
}
