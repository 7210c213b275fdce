extension UnsafePointer where Pointee: TensorScalar {
    /// The same memory read as `Float`s, for the C kernels (`CKernels`); only where `Pointee` is `Float`.
    @inline(__always) var float: UnsafePointer<Float> { UnsafeRawPointer(self).assumingMemoryBound(to: Float.self) }
}

extension UnsafeMutablePointer where Pointee: TensorScalar {
    /// The same memory as `Float`s, for the C kernels (`CKernels`); only where `Pointee` is `Float`.
    @inline(__always) var float: UnsafeMutablePointer<Float> { UnsafeMutableRawPointer(self).assumingMemoryBound(to: Float.self) }
}
