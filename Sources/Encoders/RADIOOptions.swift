/// Choices that override or complete what a C-RADIO checkpoint describes about itself.
public struct RADIOOptions: Sendable, Equatable {
    /// Whether the CPE resize of the 128×128 position grid uses `align_corners=True`.
    /// `nil`: from `config.json` (`cpe_align_corners` if present, else `true` for pre-v4 versions
    /// such as `radio_v2.5-*`, `c-radio_v2-*`, `c-radio_v3-*`), else `false`.
    public var alignCorners: Bool?
    /// The number of attention heads; `nil`: from the arch name, else from the embed dim.
    public var heads: Int?
    /// The number of summary (cls) tokens; `nil`: from the config's teachers, else from
    /// `summary_idxs`, else 1.
    public var numCls: Int?
    /// ViTDet window side in patches (spec A.3); `nil` or 0 for global attention everywhere.
    public var vitdetWindow: Int?
    /// Number of global layers for the ViTDet schedule when the config gives none (default 4).
    public var vitdetNumGlobal: Int?
    /// Number of windowed layers per period (ViTDet `num_windowed`, period = this + 1); takes
    /// precedence over ``vitdetNumGlobal``.
    public var vitdetNumWindowed: Int?

    /// Creates options; every field defaults to "from the checkpoint".
    public init(alignCorners: Bool? = nil, heads: Int? = nil, numCls: Int? = nil,
                vitdetWindow: Int? = nil, vitdetNumGlobal: Int? = nil, vitdetNumWindowed: Int? = nil) {
        self.vitdetNumWindowed = vitdetNumWindowed
        self.alignCorners = alignCorners
        self.heads = heads
        self.numCls = numCls
        self.vitdetWindow = vitdetWindow
        self.vitdetNumGlobal = vitdetNumGlobal
    }
}
