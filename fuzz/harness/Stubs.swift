// Stand-in for the autograd record `Tensor` refers to: the parsers never build graphs, and
// leaving out Sources/Autograd/Ops keeps the harness small and independent of the kernels.
final class GradFn {
    var name: String { "fuzz" }
}
