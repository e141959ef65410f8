# Written for rollwise: flag metadata in evaluation details (OpenFeature specification 1.4.14, 1.4.15.1).
Feature: Flag metadata in evaluation details

  Background:
    Given the rollwise provider serves the conformance flags

  @spec-1.4.14
  Scenario: The flag's own metadata arrives with each evaluation
    When the boolean flag "metadata-flag" is evaluated with details and the fallback false
    Then the flag metadata holds
      | key      | value           |
      | owner    | "checkout-team" |
      | revision | 4               |
      | ratio    | 0.5             |
      | audited  | true            |

  @spec-1.4.14
  Scenario Outline: A flag without metadata has empty flag metadata
    When the <type> flag "<key>" is evaluated with details and the fallback <fallback>
    Then the flag metadata is empty

    Examples:
      | type    | key          | fallback |
      | boolean | boolean-flag | true     |
      | integer | integer-flag | 5        |
      | float   | float-flag   | 0.5      |
      | string  | string-flag  | "x"      |
