# Written for rollwise: the normative evaluation requirements of the OpenFeature specification
# (sections 1.3, 1.4, 1.5 and 2.2), checked through the openfeature-sdk client against RollwiseProvider.
Feature: Evaluating flags through the OpenFeature client
  An application asks a typed question and gets an answer it can trust: the value, the variant that
  produced it and why. When something is wrong it gets its own fallback back, an error code, and no
  exception.

  Background:
    Given the rollwise provider serves the conformance flags

  @spec-1.3.1.1 @spec-1.4.1.1 @spec-1.4.3 @spec-1.4.5 @spec-1.4.6 @spec-1.4.7
  Scenario Outline: A flag without targeting answers with its default variant
    When the <type> flag "<key>" is evaluated with details and the fallback <fallback>
    Then the value is <value>
    And the variant is "<variant>"
    And the reason is "STATIC"
    And the details are about the flag "<key>" and carry no error

    Examples:
      | type    | key          | fallback | value                                        | variant        |
      | boolean | boolean-flag | false    | true                                         | on             |
      | string  | string-flag  | "x"      | "hello"                                      | hello          |
      | integer | integer-flag | 1        | 42                                           | many           |
      | float   | float-flag   | 0.1      | 0.75                                         | three-quarters |
      | object  | object-flag  | {}       | {"theme": "dark", "columns": 3, "beta": true} | dashboard      |

  @spec-1.4.3 @spec-1.4.7
  Scenario Outline: Falsy values are answers, not failures
    When the <type> flag "<key>" is evaluated with details and the fallback <fallback>
    Then the value is <value>
    And the reason is "STATIC"

    Examples:
      | type    | key               | fallback     | value |
      | boolean | boolean-zero-flag | true         | false |
      | string  | string-zero-flag  | "x"          | ""    |
      | integer | integer-zero-flag | 1            | 0     |
      | float   | float-zero-flag   | 0.1          | 0.0   |
      | object  | object-zero-flag  | {"fallback": 1} | {}    |

  @spec-1.4.7 @targeting
  Scenario Outline: A matching rule answers with reason TARGETING_MATCH
    Given the evaluation context has "email" set to the string "ada@example.com"
    When the <type> flag "<key>" is evaluated with details and the fallback <fallback>
    Then the value is <value>
    And the reason is "TARGETING_MATCH"

    Examples:
      | type    | key                        | fallback        | value |
      | boolean | boolean-targeted-zero-flag | true            | false |
      | string  | string-targeted-zero-flag  | "x"             | ""    |
      | integer | integer-targeted-zero-flag | 1               | 0     |
      | float   | float-targeted-zero-flag   | 0.1             | 0.0   |
      | object  | object-targeted-zero-flag  | {"fallback": 1} | {}    |

  @spec-1.4.7 @targeting
  Scenario Outline: When no rule matches the flag's default answers with reason DEFAULT
    Given the evaluation context has "email" set to the string "grace@example.com"
    When the <type> flag "<key>" is evaluated with details and the fallback <fallback>
    Then the value is <value>
    And the reason is "DEFAULT"

    Examples:
      | type    | key                        | fallback        | value |
      | boolean | boolean-targeted-zero-flag | true            | false |
      | string  | string-targeted-zero-flag  | "x"             | ""    |
      | integer | integer-targeted-zero-flag | 1               | 0     |
      | float   | float-targeted-zero-flag   | 0.1             | 0.0   |
      | object  | object-targeted-zero-flag  | {"fallback": 1} | {}    |

  @spec-1.3.1.1 @targeting
  Scenario Outline: Without any context a targeted flag answers with its default
    When the <type> flag "<key>" is evaluated with details and the fallback <fallback>
    Then the value is <value>
    And the reason is "DEFAULT"

    Examples:
      | type    | key                        | fallback        | value |
      | boolean | boolean-targeted-zero-flag | true            | false |
      | string  | string-targeted-zero-flag  | "x"             | ""    |
      | integer | integer-targeted-zero-flag | 1               | 0     |
      | float   | float-targeted-zero-flag   | 0.1             | 0.0   |
      | object  | object-targeted-zero-flag  | {"fallback": 1} | {}    |

  @spec-1.3.1.1 @targeting
  Scenario Outline: An attribute explicitly set to null matches no rule
    Given the evaluation context has "email" set to null
    When the <type> flag "<key>" is evaluated with details and the fallback <fallback>
    Then the value is <value>
    And the reason is "DEFAULT"

    Examples:
      | type    | key                        | fallback        | value |
      | boolean | boolean-targeted-zero-flag | true            | false |
      | string  | string-targeted-zero-flag  | "x"             | ""    |
      | integer | integer-targeted-zero-flag | 1               | 0     |
      | float   | float-targeted-zero-flag   | 0.1             | 0.0   |
      | object  | object-targeted-zero-flag  | {"fallback": 1} | {}    |

  @spec-1.3.1.1 @targeting
  Scenario: A rule can look at several attributes of different types
    Given the evaluation context has "email" set to the string "ada@example.com"
    And the evaluation context has "age" set to the integer 36
    And the evaluation context has "customer" set to the boolean false
    When the string flag "audience-flag" is evaluated with details and the fallback "x"
    Then the value is "STAFF"
    And the reason is "TARGETING_MATCH"

  @spec-1.4.8 @spec-1.4.9 @spec-1.4.10 @spec-1.4.13
  Scenario Outline: An unknown flag gives the fallback back with FLAG_NOT_FOUND
    When the <type> flag "no-such-flag" is evaluated with details and the fallback <fallback>
    Then the value is <fallback>
    And the reason is "ERROR"
    And the error code is "FLAG_NOT_FOUND"

    Examples:
      | type    | fallback        |
      | boolean | false           |
      | string  | "x"             |
      | integer | 1               |
      | float   | 0.1             |
      | object  | {"fallback": 1} |

  @spec-1.3.4 @spec-1.4.10
  Scenario Outline: Asking for the wrong type gives the fallback back with TYPE_MISMATCH
    When the <type> flag "<key>" is evaluated with details and the fallback <fallback>
    Then the value is <fallback>
    And the reason is "ERROR"
    And the error code is "TYPE_MISMATCH"

    Examples:
      | type    | key          | fallback        |
      | boolean | string-flag  | false           |
      | string  | boolean-flag | "x"             |
      | integer | boolean-flag | 1               |
      | float   | string-flag  | 0.1             |
      | object  | boolean-flag | {"fallback": 1} |

  @spec-1.4.7 @kill-switch
  Scenario Outline: A disabled flag gives the fallback back with reason DISABLED
    When the <type> flag "<key>" is evaluated with details and the fallback <fallback>
    Then the value is <fallback>
    And the reason is "DISABLED"
    And the details are about the flag "<key>" and carry no error

    Examples:
      | type    | key                   | fallback        |
      | boolean | boolean-disabled-flag | false           |
      | string  | string-disabled-flag  | "x"             |
      | integer | integer-disabled-flag | 1               |
      | float   | float-disabled-flag   | 0.1             |
      | object  | object-disabled-flag  | {"fallback": 1} |

  @spec-1.4.12
  Scenario Outline: The asynchronous methods give the same answers
    When the <type> flag "<key>" is evaluated asynchronously with details and the fallback <fallback>
    Then the value is <value>
    And the reason is "STATIC"

    Examples:
      | type    | key          | fallback | value                                        |
      | boolean | boolean-flag | false    | true                                         |
      | string  | string-flag  | "x"      | "hello"                                      |
      | integer | integer-flag | 1        | 42                                           |
      | float   | float-flag   | 0.1      | 0.75                                         |
      | object  | object-flag  | {}       | {"theme": "dark", "columns": 3, "beta": true} |

  @spec-1.5.1 @spec-4.4.2 @hooks
  Scenario: Hooks given with one evaluation run around it in order
    Given hooks "first" and "second" are passed in the evaluation options
    When the boolean flag "boolean-flag" is evaluated with details and the fallback false
    Then the hooks ran as "first.before, second.before, second.after, first.after, second.finally, first.finally"
    And the value is true

  @spec-4.4.7 @hooks
  Scenario: An error hook sees a failed evaluation
    Given hooks "watcher" and "other" are passed in the evaluation options
    When the boolean flag "no-such-flag" is evaluated with details and the fallback false
    Then the hooks ran as "watcher.before, other.before, other.error, watcher.error, other.finally, watcher.finally"

  @spec-3.1 @spec-1.4.15
  Scenario: Evaluating does not change the caller's context
    Given the evaluation context has "email" set to the string "ada@example.com"
    When the boolean flag "boolean-targeted-zero-flag" is evaluated with details and the fallback true
    Then the evaluation context still has exactly "email" set to "ada@example.com"
