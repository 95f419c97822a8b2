/// The epoch counts the original PyTorch lesson trains its networks for.
///
/// Several lessons train, or reuse the saved checkpoint of, the same network: Exercise 1 trains VGG-16,
/// which Exercises 3 and 5 pick up; Exercise 3 trains ResNet-18, which Exercises 4 and 5 pick up. A saved
/// run is only reused when its schedule matches, so each count lives here, once.
public enum OriginalSchedule {
    /// VGG-16 in Exercise 1.
    public static let vgg16Epochs = 3
    /// ResNet-18 in Exercise 3, and the networks Exercises 4 and 5 compare it with.
    public static let resnetEpochs = 5
}
