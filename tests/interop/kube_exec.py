"""Loads the kubeconfig at argv[1] with the Python Kubernetes client, whose
exec provider runs the user's plugin (ssocred) with KUBERNETES_EXEC_INFO set
and checks the apiVersion of its answer, and prints the Authorization value
the client would send, as JSON. No cluster is contacted."""
import json
import sys

from kubernetes import client, config

configuration = client.Configuration()
config.load_kube_config(config_file=sys.argv[1], client_configuration=configuration)
print(json.dumps({"authorization": configuration.api_key["authorization"]}))
