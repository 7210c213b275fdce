# A trial program in any language: it reads its hyperparameters from the command line (W&B's
# ${args}: --learn_rate=0.01 --layers=2) and prints one JSON line per epoch; `temper sweep`
# logs those lines to the trial's run. This one fits a logistic regression by plain gradient
# descent on the deck's circles with squared features (no dependencies beyond Python).
import csv, json, math, os, sys

args = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--"))
rate, epochs = float(args["learn_rate"]), int(args["epochs"])
rows = list(csv.DictReader(open(os.path.join(os.path.dirname(__file__), "../../data/circles.csv"))))
data = [((float(r["x0"]), float(r["x1"])), int(r["label"])) for r in rows]
train, test = data[:500], data[500:]
features = lambda x: (1.0, x[0], x[1], x[0] * x[0], x[1] * x[1])
w = [0.0] * 5

def accuracy(points):
    return sum((sum(a * b for a, b in zip(w, features(x))) > 0) == (y == 1) for x, y in points) / len(points)

for epoch in range(epochs):
    gradient = [0.0] * 5
    for x, y in train:
        f = features(x)
        p = 1 / (1 + math.exp(-sum(a * b for a, b in zip(w, f))))
        gradient = [g + (p - y) * fi / len(train) for g, fi in zip(gradient, f)]
    w = [a - rate * g for a, g in zip(w, gradient)]
    print(json.dumps({"epoch": epoch + 1, "accuracy": accuracy(train), "val_accuracy": accuracy(test)}))
