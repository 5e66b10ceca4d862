// Without Foundation: importing it here would bring in the C library without
// @preconcurrency, and Swift 6 would refuse to touch `stdout`, a shared mutable global.
#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
@preconcurrency import Darwin
#endif

extension Console {
    /// Makes standard output line-buffered even into a pipe or a file, so that each line
    /// shows as it is said (`autoenc train | tee log`). Called once, first thing.
    public static func lineBufferStandardOutput() {
        setvbuf(stdout, nil, _IOLBF, 0)
    }
}
