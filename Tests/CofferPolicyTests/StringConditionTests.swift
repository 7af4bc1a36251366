@testable import CofferPolicy
import XCTest

/// String operators, their negations, IgnoreCase, Like wildcards, IfExists and missing keys.
final class StringConditionTests: XCTestCase {
    func testStringEquals() {
        check([
            ConditionCase(#"{"StringEquals": {"k:x": "abc"}}"#, ["k:x": ["abc"]], true),
            ConditionCase(#"{"StringEquals": {"k:x": "abc"}}"#, ["k:x": ["ABC"]], false),  // values are case-sensitive
            ConditionCase(#"{"StringEquals": {"k:x": "abc"}}"#, [:], false),  // missing key: false
            ConditionCase(#"{"StringEquals": {"k:x": ["a", "b"]}}"#, ["k:x": ["b"]], true),  // values ORed
            ConditionCase(#"{"StringEquals": {"k:x": ["a", "b"]}}"#, ["k:x": ["c"]], false),
            ConditionCase(#"{"StringEquals": {"k:x": "a*"}}"#, ["k:x": ["abc"]], false),  // no wildcards
            ConditionCase(#"{"StringEquals": {"k:x": "a*"}}"#, ["k:x": ["a*"]], true),
            ConditionCase(#"{"StringEquals": {"k:x": 10}}"#, ["k:x": ["10"]], true),  // JSON numbers as text
            ConditionCase(#"{"StringEquals": {"k:x": true}}"#, ["k:x": ["true"]], true),
            ConditionCase(#"{"StringEquals": {"k:x": ""}}"#, ["k:x": [""]], true),
            ConditionCase(#"{"StringEquals": {"K:X": "abc"}}"#, ["k:x": ["abc"]], true),  // key names case-insensitive
            ConditionCase(#"{"StringEquals": {"k:x": "abc"}}"#, ["K:X": ["abc"]], true),
            ConditionCase(#"{"StringEquals": {"k:x": "b"}}"#, ["k:x": ["a", "b"]], true),  // multivalued request key
            ConditionCase(#"{"StringEquals": {"k:x": "é"}}"#, ["k:x": ["é"]], true),
        ])
    }

    func testStringNotEquals() {
        check([
            ConditionCase(#"{"StringNotEquals": {"k:x": "abc"}}"#, ["k:x": ["abc"]], false),
            ConditionCase(#"{"StringNotEquals": {"k:x": "abc"}}"#, ["k:x": ["abd"]], true),
            ConditionCase(#"{"StringNotEquals": {"k:x": "abc"}}"#, [:], true),  // missing key: true
            ConditionCase(#"{"StringNotEquals": {"k:x": ["a", "b"]}}"#, ["k:x": ["b"]], false),  // NOR
            ConditionCase(#"{"StringNotEquals": {"k:x": ["a", "b"]}}"#, ["k:x": ["c"]], true),
            ConditionCase(#"{"StringNotEquals": {"k:x": "abc"}}"#, ["k:x": ["ABC"]], true),
            ConditionCase(#"{"StringNotEquals": {"k:x": "b"}}"#, ["k:x": ["a", "b"]], false),
        ])
    }

    func testIgnoreCase() {
        check([
            ConditionCase(#"{"StringEqualsIgnoreCase": {"k:x": "AbC"}}"#, ["k:x": ["aBc"]], true),
            ConditionCase(#"{"StringEqualsIgnoreCase": {"k:x": "AbC"}}"#, ["k:x": ["abd"]], false),
            ConditionCase(#"{"StringEqualsIgnoreCase": {"k:x": "AbC"}}"#, [:], false),
            ConditionCase(#"{"StringEqualsIgnoreCase": {"k:x": "ÉTÉ"}}"#, ["k:x": ["été"]], true),
            ConditionCase(#"{"StringNotEqualsIgnoreCase": {"k:x": "abc"}}"#, ["k:x": ["ABC"]], false),
            ConditionCase(#"{"StringNotEqualsIgnoreCase": {"k:x": "abc"}}"#, ["k:x": ["x"]], true),
            ConditionCase(#"{"StringNotEqualsIgnoreCase": {"k:x": "abc"}}"#, [:], true),
        ])
    }

    func testStringLike() {
        check([
            ConditionCase(#"{"StringLike": {"s3:prefix": "home/*"}}"#, ["s3:prefix": ["home/a/b"]], true),
            ConditionCase(#"{"StringLike": {"s3:prefix": "home/*"}}"#, ["s3:prefix": ["home/"]], true),
            ConditionCase(#"{"StringLike": {"s3:prefix": "home/*"}}"#, ["s3:prefix": ["Home/a"]], false),
            ConditionCase(#"{"StringLike": {"s3:prefix": "home/*"}}"#, [:], false),
            ConditionCase(#"{"StringLike": {"k:x": "file-?.txt"}}"#, ["k:x": ["file-1.txt"]], true),
            ConditionCase(#"{"StringLike": {"k:x": "file-?.txt"}}"#, ["k:x": ["file-12.txt"]], false),
            ConditionCase(#"{"StringLike": {"k:x": "file-?.txt"}}"#, ["k:x": ["file-.txt"]], false),
            ConditionCase(#"{"StringLike": {"k:x": "*a*b*c*"}}"#, ["k:x": ["xxaxxbxxcxx"]], true),
            ConditionCase(#"{"StringLike": {"k:x": "*a*b*c*"}}"#, ["k:x": ["xxcxxbxxaxx"]], false),
            ConditionCase(#"{"StringLike": {"k:x": "é?"}}"#, ["k:x": ["éü"]], true),  // ? is one character
            ConditionCase(#"{"StringLike": {"k:x": "?"}}"#, ["k:x": ["ü"]], true),
            ConditionCase(#"{"StringLike": {"k:x": "??"}}"#, ["k:x": ["ü"]], false),
            ConditionCase(#"{"StringLike": {"k:x": ["a*", "b*"]}}"#, ["k:x": ["bx"]], true),
            ConditionCase(#"{"StringLike": {"k:x": "*"}}"#, ["k:x": [""]], true),
            ConditionCase(#"{"StringLike": {"k:x": ""}}"#, ["k:x": ["a"]], false),
            ConditionCase(#"{"StringNotLike": {"s3:prefix": "home/*"}}"#, ["s3:prefix": ["home/x"]], false),
            ConditionCase(#"{"StringNotLike": {"s3:prefix": "home/*"}}"#, ["s3:prefix": ["other"]], true),
            ConditionCase(#"{"StringNotLike": {"s3:prefix": "home/*"}}"#, [:], true),
            ConditionCase(#"{"StringNotLike": {"k:x": ["a*", "b*"]}}"#, ["k:x": ["bx"]], false),
        ])
    }

    func testIfExists() {
        check([
            ConditionCase(#"{"StringEqualsIfExists": {"k:x": "a"}}"#, [:], true),
            ConditionCase(#"{"StringEqualsIfExists": {"k:x": "a"}}"#, ["k:x": ["a"]], true),
            ConditionCase(#"{"StringEqualsIfExists": {"k:x": "a"}}"#, ["k:x": ["b"]], false),
            ConditionCase(#"{"StringNotEqualsIfExists": {"k:x": "a"}}"#, [:], true),
            ConditionCase(#"{"StringNotEqualsIfExists": {"k:x": "a"}}"#, ["k:x": ["a"]], false),
            ConditionCase(#"{"StringNotEqualsIfExists": {"k:x": "a"}}"#, ["k:x": ["b"]], true),
            ConditionCase(#"{"StringLikeIfExists": {"k:x": "a*"}}"#, [:], true),
            ConditionCase(#"{"StringLikeIfExists": {"k:x": "a*"}}"#, ["k:x": ["b"]], false),
            ConditionCase(#"{"StringNotLikeIfExists": {"k:x": "a*"}}"#, ["k:x": ["ab"]], false),
            ConditionCase(#"{"StringEqualsIgnoreCaseIfExists": {"k:x": "A"}}"#, ["k:x": ["a"]], true),
            ConditionCase(#"{"StringNotEqualsIgnoreCaseIfExists": {"k:x": "A"}}"#, [:], true),
        ])
    }

    func testSeveralKeysAndOperatorsAreANDed() {
        check([
            ConditionCase(#"{"StringEquals": {"k:a": "1", "k:b": "2"}}"#, ["k:a": ["1"], "k:b": ["2"]], true),
            ConditionCase(#"{"StringEquals": {"k:a": "1", "k:b": "2"}}"#, ["k:a": ["1"], "k:b": ["3"]], false),
            ConditionCase(#"{"StringEquals": {"k:a": "1", "k:b": "2"}}"#, ["k:a": ["1"]], false),
            ConditionCase(#"{"StringEquals": {"k:a": "1"}, "Bool": {"k:c": "true"}}"#, ["k:a": ["1"], "k:c": ["true"]], true),
            ConditionCase(#"{"StringEquals": {"k:a": "1"}, "Bool": {"k:c": "true"}}"#, ["k:a": ["1"], "k:c": ["false"]], false),
            ConditionCase(#"{"StringEquals": {"k:a": "1"}, "StringNotEquals": {"k:a": "2"}}"#, ["k:a": ["1"]], true),
            ConditionCase(#"{}"#, [:], true),
            ConditionCase(#"{"StringEquals": {}}"#, [:], true),
        ])
    }
}
