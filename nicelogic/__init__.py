"""nicelogic"""
