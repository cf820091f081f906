// Package examplestest checks the example projects under examples/ with
// gantry itself: their pipeline files lint and plan as their READMEs say,
// their deploy configuration loads, and their own lint and test jobs pass
// in real containers. It has no code of its own, only tests.
package examplestest
