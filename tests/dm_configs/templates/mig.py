"""An instance template, a regional managed instance group and its autoscaler (a Deployment Manager
Python template: GenerateConfig(context) with context.env and context.properties)."""

from naming import resource_name


def GenerateConfig(context):
    props = context.properties
    template = resource_name(context, "it")
    group = resource_name(context, "igm")
    resources = [
        {
            "name": template,
            "type": "compute.v1.instanceTemplate",
            "properties": {
                "properties": {
                    "machineType": props["machineType"],
                    "tags": {"items": ["http-server"]},
                    "disks": [{
                        "deviceName": "boot",
                        "type": "PERSISTENT",
                        "boot": True,
                        "autoDelete": True,
                        "initializeParams": {"sourceImage": "projects/debian-cloud/global/images/family/debian-12"},
                    }],
                    "networkInterfaces": [{
                        "network": "global/networks/default",
                        "accessConfigs": [{"name": "External NAT", "type": "ONE_TO_ONE_NAT"}],
                    }],
                },
            },
        },
        {
            "name": group,
            "type": "compute.v1.regionInstanceGroupManager",
            "properties": {
                "region": props["region"],
                "baseInstanceName": context.env["name"],
                "instanceTemplate": "$(ref.%s.selfLink)" % template,
                "targetSize": props["size"],
                "namedPorts": [{"name": "http", "port": props["port"]}],
            },
        },
        {
            "name": resource_name(context, "as"),
            "type": "compute.v1.regionAutoscaler",
            "properties": {
                "region": props["region"],
                "target": "$(ref.%s.selfLink)" % group,
                "autoscalingPolicy": {
                    "minNumReplicas": props["size"],
                    "maxNumReplicas": props["maxReplicas"],
                    "coolDownPeriodSec": 60,
                    "cpuUtilization": {"utilizationTarget": props["targetCpu"]},
                },
            },
        },
    ]
    outputs = [
        {"name": "groupManager", "value": group},
        {"name": "instanceGroup", "value": "$(ref.%s.instanceGroup)" % group},
    ]
    return {"resources": resources, "outputs": outputs}
