#!/usr/bin/env python3
"""Train the shipped sentiment model: see chaupal/insights/sentiment/train.py and docs/models.md."""

from chaupal.insights.sentiment.train import main

if __name__ == "__main__":
    main()
