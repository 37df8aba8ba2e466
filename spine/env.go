package spine

// Environment is an NHS API platform environment.
type Environment struct {
	Name    string
	BaseURL string
}

// TokenURL is the environment's OAuth 2.0 token endpoint.
func (e Environment) TokenURL() string { return e.BaseURL + "/oauth2/token" }

// The environments.
var (
	Sandbox     = Environment{Name: "sandbox", BaseURL: "https://sandbox.api.service.nhs.uk"}
	Integration = Environment{Name: "integration", BaseURL: "https://int.api.service.nhs.uk"}
	Production  = Environment{Name: "production", BaseURL: "https://api.service.nhs.uk"}
)
