import Testing
@testable import LessonKit

/// The lessons' number and word formatting, as the narration prints it.
@Suite(.ownGenerator) struct FormattingTests {
    @Test func thousandsGroupLikePython() {
        #expect(Format.thousands(11_172_810) == "11,172,810")
        #expect(Format.thousands(-4_728_266) == "-4,728,266")
        #expect(Format.thousands(938) == "938")
    }

    @Test func scientificNotationKeepsThreeDigits() {
        #expect(Format.sci(0.000123456) == "1.23e-04")
        #expect(Format.sci(32300) == "3.23e+04")
    }

    @Test func durationsPickTheirUnit() {
        #expect(Format.duration(41.23) == "41.2 s")
        #expect(Format.duration(2554) == "42 min 34 s")
        #expect(Format.duration(3780) == "1 h 03 min")
    }

    @Test func classNamesGetTheArticleOfTheirFirstSound() {
        #expect(Format.withArticle("Sandal") == "a Sandal")
        #expect(Format.withArticle("Ankle boot") == "an Ankle boot")
        #expect(Format.withArticle("T-shirt/top") == "a T-shirt/top")
        #expect(Format.withArticle("7") == "a 7")
        #expect(Format.withArticle("8") == "an 8")
    }
}
