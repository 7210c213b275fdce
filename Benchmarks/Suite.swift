public enum BenchmarkSuite {}
