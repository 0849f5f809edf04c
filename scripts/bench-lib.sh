# Helpers shared by the speed scripts (sourced, not run).

# median: the median of the numbers on stdin, one per line.
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# field NAME: the value of NAME in the JSON object on stdin (ebm prints one
# indented object; the peers print one line, after any warnings).
field() { /usr/bin/python3 -c '
import json, sys
s = sys.stdin.read().strip()
try:
    o = json.loads(s)
except ValueError:
    o = json.loads(s.splitlines()[-1])
print(o[sys.argv[1]])' "$1"; }
