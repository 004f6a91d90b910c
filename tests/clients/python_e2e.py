#!/usr/bin/python3
"""Runs the official Python client's own end-to-end suite against a running
k1s, by hand (CI cannot fetch it): give the directory that holds
kubernetes/e2e_test of a kubernetes-client/python checkout at the tag of
the Debian package (v22.6.0 for 22.6.0-2), e.g. from `git archive v22.6.0
kubernetes/e2e_test | tar -x -C DIR`. The suite imports itself as
kubernetes.e2e_test, so its folder joins the installed package's path; it
reads test_yaml/ relative to DIR, so it runs there.
Usage: KUBECONFIG=... python_e2e.py DIR [module ...]"""
import os
import sys
import unittest

import kubernetes


def main():
    root = os.path.abspath(sys.argv[1])
    mods = sys.argv[2:] or ["test_client", "test_apps", "test_batch", "test_utils", "test_watch"]
    kubernetes.__path__.append(os.path.join(root, "kubernetes"))
    os.chdir(root)
    unittest.main(module=None, argv=["e2e", "-v"] + ["kubernetes.e2e_test." + m for m in mods])


if __name__ == "__main__":
    main()
