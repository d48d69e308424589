#!/usr/bin/python3
"""Reads the JUnit XML files that ctest, pytest and scripts/lib/run_unittest.py wrote and prints
one summary: passed, failed and skipped counts, the reason of every skip and the name of every
failure. Exits 1 if anything failed or errored, 0 otherwise.

ctest writes a skipped GoogleTest case as <skipped message="SKIP_REGULAR_EXPRESSION_MATCHED"/>;
the reason GTEST_SKIP() gave is in <system-out>, on the lines after "<file>:<line>: Skipped".
"""
import re
import sys
import xml.etree.ElementTree as ET

GTEST_SKIP = re.compile(r"^.*:\d+: Skipped\n(.*?)\n\[  SKIPPED \]", re.M | re.S)


def skip_reason(case, skipped):
    output = case.findtext("system-out") or ""
    match = GTEST_SKIP.search(output)
    if match and match.group(1).strip():
        return " ".join(match.group(1).split())
    message = skipped.get("message") or (skipped.text or "")
    if message == "SKIP_REGULAR_EXPRESSION_MATCHED":
        return "(GTEST_SKIP without a reason)"
    return " ".join(message.split()) or "(no reason given)"


def failure_text(case, element):
    message = element.get("message") or ""
    body = (element.text or "") + (case.findtext("system-out") or "")
    lines = [line for line in (message + "\n" + body).splitlines() if line.strip()]
    interesting = [l for l in lines if re.search(r"Failure|Error|assert|error|Expected", l)]
    return (interesting or lines or ["(no message)"])[:4]


def main(argv):
    passed, failed, skipped = 0, [], []
    for path in argv[1:]:
        tool, _, file = path.partition("=")
        try:
            root = ET.parse(file).getroot()
        except (OSError, ET.ParseError) as error:
            failed.append((tool, file, [f"result file unreadable: {error}"]))
            continue
        for case in root.iter("testcase"):
            name = case.get("name")
            if case.get("classname") and case.get("classname") != name:
                name = f"{case.get('classname')}::{name}"
            skip = case.find("skipped")
            bad = case.find("failure")
            if bad is None:
                bad = case.find("error")
            if bad is not None:
                failed.append((tool, name, failure_text(case, bad)))
            elif skip is not None or case.get("status") in ("notrun", "disabled"):
                skipped.append((tool, name, skip_reason(case, skip if skip is not None else case)))
            else:
                passed += 1

    print("=" * 78)
    print(f"glassbox tests: {passed} passed, {len(failed)} failed, {len(skipped)} skipped")
    if skipped:
        print("\nskipped (reason):")
        for tool, name, reason in skipped:
            print(f"  [{tool}] {name}: {reason}")
    if failed:
        print("\nFAILED:")
        for tool, name, lines in failed:
            print(f"  [{tool}] {name}")
            for line in lines:
                print(f"      {line[:160]}")
    print("=" * 78)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
