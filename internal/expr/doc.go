// Package expr implements GitLab CI's expression language (rules:if,
// only/except:variables) and GitLab's CI/CD variable expansion.
//
// The expression semantics follow GitLab's own implementation
// (lib/gitlab/ci/pipeline/expression in gitlabhq) and its specs, which the
// tests replay row by row from testdata/gitlab:
//
//   - values are $NAME variables, $[[ inputs.NAME ]], "double" or 'single'
//     quoted strings (no escapes, no newline), null, true, false and /re/flags
//     literals;
//   - == != =~ !~ bind tighter than &&, which binds tighter than ||; all are
//     left-associative; parentheses group;
//   - && and || return one of their operands, as Ruby does, and inside the
//     expression only null and false are false (so "" && "x" is "x"); only the
//     final result is judged with ActiveSupport's present?, where null, false
//     and blank strings are false;
//   - an undefined variable is null, which differs from an empty one;
//   - =~ searches (not a full match) with RE2 syntax; a right operand that is
//     a string shaped like /re/flags is compiled as a regexp, any other
//     string is searched for the left text (Ruby's String#scan).
//
// Expansion follows GitLab Runner for strings (Expand) and GitLab + Runner
// for a job's variable list (ExpandAll); see expand.go.
package expr
