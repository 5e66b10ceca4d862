#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
@preconcurrency import Darwin
#endif

/// Standard output one line at a time even into a pipe or a file, so that progress
/// lines show as they happen (`autoenc train | tee log`). Called once, first thing.
func lineBufferStandardOutput() {
    setvbuf(stdout, nil, _IOLBF, 0)
}
