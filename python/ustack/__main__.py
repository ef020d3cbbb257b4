"""python3 -m ustack SCRIPT [ARGS...] -- DEVICE OPTIONS

Runs SCRIPT with the network opened from DEVICE OPTIONS (the CLI's: --tun, --netns, --addr
...) as the default and install() done, so a script that imports usocket/uselect (or
socket/select) runs over ustack unchanged. sys.argv is SCRIPT and ARGS; exit status and
tracebacks are the script's.
"""
import os
import runpy
import sys

import ustack


def main(argv):
    if "--" not in argv or argv.index("--") == 0:
        sys.stderr.write("usage: ustack python SCRIPT [ARGS...] -- DEVICE OPTIONS\n"
                         "   or: python3 -m ustack SCRIPT [ARGS...] -- DEVICE OPTIONS\n")
        return 2
    split = len(argv) - 1 - argv[::-1].index("--")  # the last "--": device options have none
    script, args, device = argv[0], argv[1:split], argv[split + 1:]
    try:
        ustack.Network(*device)
    except OSError as e:
        sys.stderr.write("ustack python: %s\n" % e)
        return 1
    ustack.install()
    sys.argv = [script] + args
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
