// The deck's Keras Tuner example in Temper: a random search over the first layer's width and
// Adam's learning rate on the deck's circles (first 500 rows train, last 500 validate).
//   swift run -c release keras-tuner-example            (the deck's 500 epochs; about a second)
//   swift run -c release keras-tuner-example 50         (fewer epochs)
// Every execution is logged to ./my_dir (temper runs --dir my_dir; temper report --dir my_dir).
import Foundation
import Models
import Tuning

let epochs = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 500
let dataPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../data/circles.csv").path
let data = try Dataset.csv(path: dataPath, target: "label")
let (trainX, trainY) = try (data.rows(0..<500).x, data.rows(0..<500).y)
let (testX, testY) = try (data.rows(500..<1000).x, data.rows(500..<1000).y)

let tuner = try RandomSearch(objective: .maximize("val_accuracy"), maxTrials: 5, executionsPerTrial: 3,
                             seed: 1, directory: "my_dir", projectName: "helloworld", parallel: 2) { hp in
    let model = try Sequential { Dense(try hp.int("units", min: 32, max: 512, step: 32), activation: .relu)
                                 Dense(1, activation: .sigmoid) }
    try model.compile(optimizer: Adam(learningRate: try hp.choice("learning_rate", [1e-2, 1e-3, 1e-4])),
                      loss: .binaryCrossEntropy, metrics: [.accuracy])
    return model
}
try tuner.searchSpaceSummary()
let start = Date()
try tuner.search(x: trainX, y: trainY, epochs: epochs, batchSize: 32, validationData: (testX, testY))
print("\nsearch took \(String(format: "%.2f", Date().timeIntervalSince(start))) s\n")
try tuner.resultsSummary(3)
let best = try tuner.bestModels(1)[0]
print("\nthe best model's validation accuracy: \(try best.evaluate(x: testX, y: testY)["accuracy"] ?? .nan)")
