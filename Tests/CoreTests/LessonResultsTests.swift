import Foundation
import Testing
@testable import LessonKit

@Suite struct LessonResultsTests {
    @Test func writesNumbersVerdictsAndTakeawayAsJSON() throws {
        let results = LessonResults()
        results.record("test_accuracy", 0.9912)
        results.record("depths", [1, 2, 4])
        results.record("ratio", Double.nan)
        results.verdict("stalled", false)
        results.takeaway = "It learned."
        let data = try results.json(lesson: "Demo")
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["lesson"] as? String == "Demo")
        #expect(object["takeaway"] as? String == "It learned.")
        let numbers = try #require(object["numbers"] as? [String: Any])
        #expect(numbers["test_accuracy"] as? Double == 0.9912)
        #expect(numbers["depths"] as? [Int] == [1, 2, 4])
        #expect(numbers["ratio"] is NSNull, "NaN is written as null")
        #expect((object["verdicts"] as? [String: Bool])?["stalled"] == false)
    }

    @Test func readsBackWhatItWrote() throws {
        let results = LessonResults()
        results.record("sweep", .object(["plain": .list([.number(0.5), .number(0.25)]), "n": .integer(3)]))
        struct File: Decodable { let numbers: [String: ResultValue] }
        let file = try JSONDecoder().decode(File.self, from: try results.json(lesson: "x"))
        #expect(file.numbers["sweep"] == .object(["plain": .list([.number(0.5), .number(0.25)]), "n": .integer(3)]))
    }
}
