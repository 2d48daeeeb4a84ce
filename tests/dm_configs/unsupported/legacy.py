"""A Python 2 template, as many Deployment Manager templates were: it cannot be imported by Python 3."""


def GenerateConfig(context):
    print "generating"
    return {"resources": []}
