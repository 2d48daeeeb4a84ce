"""A helper module that mig.py imports, as Deployment Manager Python templates may."""


def resource_name(context, suffix):
    return "%s-%s-%s" % (context.env["deployment"], context.env["name"], suffix)
