/// Where one tensor of a safetensors file lives and how to interpret its bytes.
public struct TensorInfo: Sendable, Hashable {
    /// The tensor's key in the header.
    public let name: String
    /// The element type.
    public let dtype: DType
    /// The dimensions, outermost first (row-major). `[]` is a scalar; a zero dimension means no elements.
    public let shape: [Int]
    /// The header's `data_offsets`: the byte range relative to the start of the data section.
    public let dataOffsets: Range<Int>
    /// The byte range within the whole file (`dataOffsets` shifted by `8 + N`).
    public let byteRange: Range<Int>

    /// Creates a description of a tensor stored at `dataOffsets` of a data section beginning at
    /// file offset `dataStart`.
    public init(name: String, dtype: DType, shape: [Int], dataOffsets: Range<Int>, dataStart: Int) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.dataOffsets = dataOffsets
        self.byteRange = (dataStart + dataOffsets.lowerBound)..<(dataStart + dataOffsets.upperBound)
    }

    /// The number of elements (the product of `shape`; 1 for a scalar).
    public var elementCount: Int { shape.reduce(1, *) }

    /// The number of bytes the tensor occupies.
    public var byteCount: Int { dataOffsets.count }
}
