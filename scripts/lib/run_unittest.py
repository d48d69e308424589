"""Runs unittest suites (the docker SDK tests, which need the interpreter that has the `docker`
package, i.e. the default `python3`) and writes a JUnit XML file in the shape pytest writes, so
scripts/lib/test_report.py reads every tool's results the same way.

Usage: python3 scripts/lib/run_unittest.py OUT.xml START_DIR [PATTERN]
"""
import sys
import time
import traceback
import unittest
import xml.etree.ElementTree as ET


class JUnitResult(unittest.TextTestResult):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cases = []
        self._started = 0.0

    def startTest(self, test):
        self._started = time.monotonic()
        super().startTest(test)

    def _record(self, test, kind=None, text=""):
        if isinstance(test, unittest.TestCase):
            classname, name = type(test).__module__ + "." + type(test).__name__, test._testMethodName
        else:  # setUpClass/tearDownClass results arrive as an _ErrorHolder.
            classname, name = "", test.description
        case = ET.Element("testcase", classname=classname, name=name,
                          time=f"{time.monotonic() - self._started:.3f}")
        if kind:
            child = ET.SubElement(case, kind, message=text.strip().splitlines()[-1][:300] if text.strip() else "")
            child.text = text
        self.cases.append(case)

    def addSuccess(self, test):
        super().addSuccess(test)
        self._record(test)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._record(test, "failure", "".join(traceback.format_exception(*err)))

    def addError(self, test, err):
        super().addError(test, err)
        self._record(test, "error", "".join(traceback.format_exception(*err)))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._record(test, "skipped", reason)

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._record(test)

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._record(test, "failure", "unexpected success")


def main(argv):
    out, start = argv[1], argv[2]
    pattern = argv[3] if len(argv) > 3 else "test*.py"
    suite = unittest.defaultTestLoader.discover(start, pattern=pattern, top_level_dir=start)
    runner = unittest.TextTestRunner(verbosity=2, resultclass=JUnitResult)
    result = runner.run(suite)
    root = ET.Element("testsuite", name="unittest", tests=str(result.testsRun))
    root.extend(result.cases)
    ET.ElementTree(root).write(out, encoding="utf-8", xml_declaration=True)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
