from ninja import NinjaAPI

api = NinjaAPI(title="Pregonero API", version="1", urls_namespace="api")
