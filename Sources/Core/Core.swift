// One import for the whole engine, as `import torch` is in the original lesson. Each part is its
// own target (see Package.swift), so the compiler keeps the flow one way:
// Kernels <- Autograd <- Layers <- Models, Data, Checkpoints <- Training.
@_exported import Kernels
@_exported import Autograd
@_exported import Layers
@_exported import Models
@_exported import Data
@_exported import Checkpoints
@_exported import Training
