import Testing
import Models

struct SummaryTests {
    @Test func deckModelWithoutBatchNormHas201Parameters() throws {
        let model = Sequential {
            Dense(50, activation: .relu, kernelInitializer: .heUniform(), inputShape: [2])
            Dense(1, activation: .sigmoid)
        }
        let counts = model.parameterCounts
        #expect(counts.total == 0)  // not built until asked
        let text = try model.summary()
        #expect(model.parameterCounts == (201, 201, 0))
        #expect(text.contains("Model: \"sequential\""))
        #expect(text.contains("dense (Dense)"))
        #expect(text.contains("(None, 50)"))
        #expect(text.contains("dense_1 (Dense)"))
        #expect(text.contains(" Total params: 201 (804.00 B)"))
        #expect(text.contains(" Trainable params: 201 (804.00 B)"))
        #expect(text.contains(" Non-trainable params: 0 (0.00 B)"))
    }

    @Test func deckModelWithBatchNormHas401Parameters() throws {
        let model = Sequential {
            Dense(50, activation: .relu, kernelInitializer: .heUniform(), inputShape: [2])
            BatchNormalization()
            Dense(1, activation: .sigmoid)
        }
        let text = try model.summary()
        #expect(model.parameterCounts == (401, 301, 100))
        #expect(text.contains("batch_normalization (BatchNormalization)"))
        #expect(text.contains("│ 200 │") || text.contains(" 200 │"))
        #expect(text.contains(" Total params: 401 (1.57 KB)"))
        #expect(text.contains(" Non-trainable params: 100 (400.00 B)"))
    }

    @Test func layersAddedLaterGetKerasNames() throws {
        let model = Sequential(inputShape: [4])
        model.add(Dense(8, activation: .relu))
        model.add(BatchNormalization(center: false, scale: false))
        model.add(Activation(.relu))
        model.add(Dropout(0.5))
        model.add(Dense(3))
        model.add(Dense(1))
        #expect(model.layers.map(\.name) == ["dense", "batch_normalization", "activation", "dropout", "dense_1", "dense_2"])
        _ = try model.summary()
        // BN without center and scale keeps only the moving statistics (non-trainable).
        #expect(model.parameterCounts == (40 + 16 + 27 + 4, 40 + 27 + 4, 16))
        #expect(model.outputShape == [1])
    }

    @Test func anUnbuiltModelSaysWhatItNeeds() {
        let model = Sequential { Dense(3) }
        #expect { try model.summary() } throws: { "\($0)".contains("does not know its input shape") }
    }

    @Test func denseRejectsNonFlatInputs() {
        let model = Sequential(inputShape: [2, 3]) { Dense(3) }
        #expect { try model.summary() } throws: { "\($0)".contains("layer \"dense\" (Dense) takes inputs of shape (batch, features)") }
    }
}
