/// vtok's version, written into every token pack.
public enum VtokVersion {
    public static let current = "0.1.0"
}
