# Written for rollwise: provider lifecycle and events (OpenFeature specification 1.7, 2.4, 2.8 and 5),
# driven by a real store (a file, or redis-server) that appears, changes and disappears.
Feature: Provider status and events follow the store

  @spec-1.7.1 @spec-1.7.3 @spec-5.3.1 @spec-5.3.3
  Scenario: A readable store makes the provider READY, and a late READY handler runs at once
    Given the rollwise provider serves the conformance flags
    Then the provider status is "READY"
    And a PROVIDER_READY handler added now runs

  @spec-5.1.1 @spec-5.2.3
  Scenario: A change written to the store is announced with the flags it touched
    Given the rollwise provider serves the conformance flags
    And a handler records PROVIDER_CONFIGURATION_CHANGED
    When the flag "boolean-flag" is killed in the store
    Then PROVIDER_CONFIGURATION_CHANGED names "boolean-flag"
    And the boolean flag "boolean-flag" now answers the fallback false with reason "DISABLED"

  @spec-1.7.1 @spec-2.8.1 @spec-5.3.5
  Scenario: Losing the store makes the provider STALE, and it keeps answering
    Given the rollwise provider serves the conformance flags
    And a handler records PROVIDER_STALE
    When the store becomes unreachable
    Then PROVIDER_STALE was emitted
    And the provider status is "STALE"
    And the boolean flag "boolean-flag" still answers true

  @spec-1.7.1 @spec-2.8.1
  Scenario: The store coming back makes the provider READY again
    Given the rollwise provider serves the conformance flags
    And the store becomes unreachable
    And the provider status is "STALE"
    When the store is reachable again
    Then the provider status is "READY"

  @spec-1.7.1 @spec-2.2.7 @spec-1.4.10
  Scenario Outline: While the provider waits for its first load it is NOT_READY
    Given a rollwise provider whose store does not exist yet, waiting up to 30 seconds
    Then the provider status is "NOT_READY"
    When the <type> flag "<key>" is evaluated with details and the fallback <fallback>
    Then the value is <fallback>
    And the reason is "ERROR"
    And the error code is "PROVIDER_NOT_READY"

    Examples:
      | type    | key          | fallback        |
      | boolean | boolean-flag | false           |
      | string  | string-flag  | "x"             |
      | integer | integer-flag | 1               |
      | float   | float-flag   | 0.1             |
      | object  | object-flag  | {"fallback": 1} |

  @spec-1.7.4 @spec-2.4.1 @spec-2.8.1
  Scenario: A store missing at start puts the provider in ERROR until it appears
    Given a rollwise provider whose store does not exist yet, waiting up to 0.2 seconds
    Then the provider status is "ERROR"
    When the boolean flag "boolean-flag" is evaluated with details and the fallback false
    Then the error code is "PROVIDER_NOT_READY"
    When the store is reachable again
    Then the provider status is "READY"
    And the boolean flag "boolean-flag" still answers true
