# Written for rollwise: merging of evaluation context levels (OpenFeature specification 3.2.3).
Feature: Evaluation context reaches the provider merged by precedence
  Precedence, lowest first: API (global), transaction, client, invocation, before hooks.

  Background:
    Given the rollwise provider serves the conformance flags
    And the provider records the context it evaluates with

  @spec-3.2.3
  Scenario Outline: An entry set at one level arrives
    Given the "<level>" level sets "key" to "value"
    When the boolean flag "probe-flag" is evaluated with details and the fallback false
    Then the provider saw "key" set to "value"

    Examples:
      | level       |
      | API         |
      | transaction |
      | client      |
      | invocation  |
      | before hook |

  @spec-3.2.3
  Scenario: Entries with different keys from every level all arrive
    Given the "API" level sets "a" to "from API"
    And the "transaction" level sets "t" to "from transaction"
    And the "client" level sets "c" to "from client"
    And the "invocation" level sets "i" to "from invocation"
    And the "before hook" level sets "h" to "from before hook"
    When the boolean flag "probe-flag" is evaluated with details and the fallback false
    Then the provider saw "a" set to "from API"
    And the provider saw "t" set to "from transaction"
    And the provider saw "c" set to "from client"
    And the provider saw "i" set to "from invocation"
    And the provider saw "h" set to "from before hook"

  @spec-3.2.3
  Scenario Outline: The highest level that sets a key wins
    Given every level from "API" up to "<level>" sets "key" to its own name
    When the boolean flag "probe-flag" is evaluated with details and the fallback false
    Then the provider saw "key" set to "<level>"

    Examples:
      | level       |
      | API         |
      | transaction |
      | client      |
      | invocation  |
      | before hook |

  @spec-3.1.1
  Scenario: The targeting key reaches rollwise rules as targetingKey
    Given the "invocation" level sets the targeting key "user-7"
    When the boolean flag "probe-flag" is evaluated with details and the fallback false
    Then the provider saw "targetingKey" set to "user-7"
