from .loop import Controller
class LLMISVCController(Controller):
    name = "llmisvc"
    def __init__(self, kube, inf):
        super().__init__(kube)
    def reconcile(self, key):
        return None
