import Testing

@testable import TensorCore

@Suite struct DTypeTests {
    @Test func safetensorsNamesAndSizes() throws {
        let expected: [String: Int] = [
            "BOOL": 1, "U8": 1, "I8": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
            "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8,
            "F8_E5M2": 1, "F8_E4M3": 1,
        ]
        #expect(DType.allCases.count == expected.count)
        for (name, size) in expected {
            let dtype = try DType(safetensorsName: name)
            #expect(dtype.byteSize == size, "\(name)")
            #expect(dtype.safetensorsName == name)
            #expect(dtype.description == name)
        }
    }

    @Test func unknownSafetensorsNameIsAnError() {
        for name in ["f32", "F12", "", "FLOAT", " F32"] {
            #expect(throws: DTypeError.self) { try DType(safetensorsName: name) }
        }
        do {
            _ = try DType(safetensorsName: "Q4")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("'Q4'"))
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func userOptionsAreCaseInsensitive() throws {
        #expect(try DType(option: "f32") == .f32)
        #expect(try DType(option: "F16") == .f16)
        #expect(try DType(option: "bf16") == .bf16)
        #expect(try DType(option: "BF16") == .bf16)
        #expect(try DType(option: " Bf16\n") == .bf16)
        for dtype in DType.outputOptions {
            #expect(try DType(option: dtype.optionName!) == dtype)
        }
        #expect(DType.i32.optionName == nil)
    }

    @Test func unsupportedUserOptionNamesTheChoices() {
        for option in ["fp16", "int8", "", "f64", "float"] {
            do {
                _ = try DType(option: option)
                Issue.record("'\(option)' should be rejected")
            } catch {
                #expect(error.description.contains("'\(option)'"))
                #expect(error.description.contains("f32, f16, bf16"))
                #expect(!error.description.contains("\n"))
            }
        }
    }

    @Test func floatConvertibility() {
        let convertible = Set(DType.allCases.filter(\.isConvertibleToFloat))
        #expect(convertible == [.f32, .f16, .bf16, .f64])
    }
}
