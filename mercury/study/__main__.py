import sys

from mercury.study.inference import main

sys.exit(main())
