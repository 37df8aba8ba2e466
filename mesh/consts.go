package mesh

// MediaTypeV2 is the Accept value that asks for the v2 API's responses.
const MediaTypeV2 = "application/vnd.mesh.v2+json"

// Base URLs of the MESH environments on the internet, as NHS England's
// mesh-client names them (INT_ENDPOINT, DEP_ENDPOINT, LIVE_ENDPOINT).
const (
	IntegrationURL = "https://msg.intspineservices.nhs.uk"
	DeploymentURL  = "https://msg.depspineservices.nhs.uk"
	ProductionURL  = "https://mesh-sync.spineservices.nhs.uk"
)
