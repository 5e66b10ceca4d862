extension GrayImage {
    /// Binary PGM (P5): exactly `P5\n<w> <h>\n255\n` then width * height bytes.
    public var pgm: [UInt8] {
        Array("P5\n\(width) \(height)\n255\n".utf8) + pixels
    }
}
