"""The rules engine: rule files in YAML, compiled to durable-rules, evaluated with reasons.

Rule files hold every target, threshold, autonomy level and rollback bound; the code
holds none of them. ``load_rulebook`` validates them (errors as ``file:line:col:``),
``Evaluator`` decides with them, ``RuleSource`` reloads them while the engine runs.
"""

from rules.book import DEFAULTS_DIR, RuleBook, Where, install_defaults, load_rulebook, rulebook_json_schema
from rules.decision import Decision, Degradation, Fired, Gap, PolicyDecision, Validation
from rules.errors import EngineError, FactsInvalid, RuleError, RuleFilesInvalid
from rules.evaluator import Evaluator
from rules.ruletests import RuleTestFailure, RuleTestReport, rule_tests_json_schema, run_rule_tests
from rules.schema import Autonomy, Degradation as DegradationPolicy, Methodology, ParameterPolicy
from rules.source import ReloadResult, RuleSource

__all__ = [
    "DEFAULTS_DIR",
    "Autonomy",
    "Decision",
    "Degradation",
    "DegradationPolicy",
    "EngineError",
    "Evaluator",
    "FactsInvalid",
    "Fired",
    "Gap",
    "Methodology",
    "ParameterPolicy",
    "PolicyDecision",
    "ReloadResult",
    "RuleBook",
    "RuleError",
    "RuleFilesInvalid",
    "RuleSource",
    "RuleTestFailure",
    "RuleTestReport",
    "Validation",
    "Where",
    "install_defaults",
    "load_rulebook",
    "rule_tests_json_schema",
    "rulebook_json_schema",
    "run_rule_tests",
]
