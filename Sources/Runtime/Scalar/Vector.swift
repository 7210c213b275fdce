/// Eight lanes of a scalar: the unit of the explicitly vectorized kernel loops. Loads and stores
/// are unaligned and explicit, so the compiler needs no alias analysis to keep them in registers.
typealias Vector<T: TensorScalar> = SIMD8<T>

/// Lanes per `Vector`.
let vectorWidth = 8

extension UnsafePointer where Pointee: TensorScalar {
    @inline(__always) func vector(at offset: Int) -> Vector<Pointee> {
        UnsafeRawPointer(self + offset).loadUnaligned(as: Vector<Pointee>.self)
    }
}

extension UnsafeMutablePointer where Pointee: TensorScalar {
    @inline(__always) func vector(at offset: Int) -> Vector<Pointee> {
        UnsafeRawPointer(self + offset).loadUnaligned(as: Vector<Pointee>.self)
    }

    @inline(__always) func store(_ value: Vector<Pointee>, at offset: Int) {
        UnsafeMutableRawPointer(self + offset).storeBytes(of: value, as: Vector<Pointee>.self)
    }
}

extension SIMD8 where Scalar: TensorScalar {
    /// The lanes where `mask > 0`, zero elsewhere (NaN masks give zero).
    @inline(__always) func kept(where mask: SIMD8<Scalar>) -> SIMD8<Scalar> {
        replacing(with: 0, where: .!(mask .> 0))
    }

    /// `max(lane, 0)`, keeping NaN.
    @inline(__always) func clampedBelowAtZero() -> SIMD8<Scalar> {
        replacing(with: 0, where: self .< 0)
    }
}
