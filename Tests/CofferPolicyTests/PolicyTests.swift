import CofferPolicy
import XCTest
