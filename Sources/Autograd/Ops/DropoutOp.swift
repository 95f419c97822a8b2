/// `F.dropout`: in training, zeroes each element with probability p and scales the survivors by
/// 1/(1-p) (inverted dropout), so evaluation needs no rescaling; in evaluation it is the identity.
public func dropout(_ x: Tensor, p: Float, training: Bool, generator: Generator = Random.global) -> Tensor {
    precondition(p >= 0 && p <= 1, "dropout: probability must be in [0, 1], got \(p)")
    guard training, p > 0 else { return x }
    let keep = 1 - p
    let scale: Float = keep > 0 ? 1 / keep : 0
    let mask = Tensor(uninitialized: x.shape)
    for i in 0..<mask.count { mask.data[i] = generator.nextUniform() < Double(keep) ? scale : 0 }
    let out = Tensor(uninitialized: x.shape)
    for i in 0..<x.count { out.data[i] = x.data[i] * mask.data[i] }
    return out.recorded("NativeDropoutBackward0", inputs: [x]) { g in
        let gx = Tensor(uninitialized: g.shape)
        for i in 0..<g.count { gx.data[i] = g.data[i] * mask.data[i] }
        return [gx]
    }
}
