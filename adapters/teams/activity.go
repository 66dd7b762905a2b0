package teams

import (
	"encoding/json"
	"strings"
)

// Activity types passbot reads and writes (Bot Framework Activity schema).
const (
	typeMessage            = "message"
	typeInvoke             = "invoke"
	typeConversationUpdate = "conversationUpdate"
	typeInstallationUpdate = "installationUpdate"
	typeInvokeResponse     = "invokeResponse"
)

// invokeAdaptiveCardAction is the invoke name of an Action.Execute press
// (Universal Actions for Adaptive Cards).
const invokeAdaptiveCardAction = "adaptiveCard/action"

// Conversation types Teams sets on conversation.conversationType.
const (
	convPersonal  = "personal"
	convChannel   = "channel"
	convGroupChat = "groupChat"
)

// Account is a party of an activity: a person (Teams ID "29:…", with the
// Entra object ID) or the bot ("28:<app id>").
type Account struct {
	ID          string `json:"id"`
	Name        string `json:"name,omitempty"`
	AADObjectID string `json:"aadObjectId,omitempty"`
	Role        string `json:"role,omitempty"`
}

// ConversationAccount is the conversation an activity belongs to.
type ConversationAccount struct {
	ID               string `json:"id"`
	ConversationType string `json:"conversationType,omitempty"`
	TenantID         string `json:"tenantId,omitempty"`
	IsGroup          bool   `json:"isGroup,omitempty"`
	Name             string `json:"name,omitempty"`
}

// Attachment carries a card.
type Attachment struct {
	ContentType string `json:"contentType"`
	Content     any    `json:"content,omitempty"`
}

// Activity is the part of a Bot Framework activity passbot uses, inbound
// and outbound.
type Activity struct {
	Type         string               `json:"type"`
	ID           string               `json:"id,omitempty"`
	Timestamp    string               `json:"timestamp,omitempty"`
	ServiceURL   string               `json:"serviceUrl,omitempty"`
	ChannelID    string               `json:"channelId,omitempty"`
	From         *Account             `json:"from,omitempty"`
	Conversation *ConversationAccount `json:"conversation,omitempty"`
	Recipient    *Account             `json:"recipient,omitempty"`
	Text         string               `json:"text,omitempty"`
	TextFormat   string               `json:"textFormat,omitempty"`
	Locale       string               `json:"locale,omitempty"`
	ReplyToID    string               `json:"replyToId,omitempty"`
	Name         string               `json:"name,omitempty"`
	Value        json.RawMessage      `json:"value,omitempty"`
	Action       string               `json:"action,omitempty"`
	Attachments  []Attachment         `json:"attachments,omitempty"`
	ChannelData  json.RawMessage      `json:"channelData,omitempty"`
	MembersAdded []Account            `json:"membersAdded,omitempty"`
	// MembersRemoved, with the bot among them, is an uninstallation.
	MembersRemoved []Account `json:"membersRemoved,omitempty"`
	// LocalTimezone is "the name of the timezone used to define local time
	// for the message, expressed in IANA Time Zone database format"
	// (https://learn.microsoft.com/dotnet/api/microsoft.bot.schema.activity.localtimezone):
	// passbot shows the sender's times in it.
	LocalTimezone string `json:"localTimezone,omitempty"`
}

// Member is a Teams user as the Connector's members API describes them.
type Member struct {
	ID                string `json:"id"`
	Name              string `json:"name,omitempty"`
	AADObjectID       string `json:"aadObjectId,omitempty"`
	UserPrincipalName string `json:"userPrincipalName,omitempty"`
	Email             string `json:"email,omitempty"`
}

// ResourceResponse is the Connector's answer to a posted activity.
type ResourceResponse struct {
	ID string `json:"id"`
}

// ConversationParameters create a conversation (a proactive 1:1 chat).
type ConversationParameters struct {
	IsGroup     bool            `json:"isGroup"`
	Bot         *Account        `json:"bot,omitempty"`
	Members     []Account       `json:"members"`
	TenantID    string          `json:"tenantId,omitempty"`
	ChannelData json.RawMessage `json:"channelData,omitempty"`
}

// ConversationResourceResponse is the Connector's answer to a created
// conversation.
type ConversationResourceResponse struct {
	ID         string `json:"id"`
	ActivityID string `json:"activityId,omitempty"`
	ServiceURL string `json:"serviceUrl,omitempty"`
}

// actionValue is the value of an adaptiveCard/action invoke.
type actionValue struct {
	Action struct {
		Type string          `json:"type"`
		Verb string          `json:"verb"`
		Data json.RawMessage `json:"data"`
	} `json:"action"`
}

// InvokeResponse is the HTTP body answering an invoke activity; for
// adaptiveCard/action, Type is the card or message content type.
type InvokeResponse struct {
	StatusCode int    `json:"statusCode"`
	Type       string `json:"type,omitempty"`
	Value      any    `json:"value,omitempty"`
}

// channelTeams is the Bot Framework's channel ID of Microsoft Teams.
const channelTeams = "msteams"

// tenant is the Entra tenant an activity comes from: Teams names it in the
// conversation and in channelData.tenant. An activity that names two
// tenants comes from neither: "", as for one that names none.
func (a *Activity) tenant() string {
	var conv string
	if a.Conversation != nil {
		conv = a.Conversation.TenantID
	}
	var cd struct {
		Tenant struct {
			ID string `json:"id"`
		} `json:"tenant"`
	}
	if len(a.ChannelData) > 0 && json.Unmarshal(a.ChannelData, &cd) != nil {
		return ""
	}
	switch data := cd.Tenant.ID; {
	case conv == "":
		return data
	case data == "" || strings.EqualFold(conv, data):
		return conv
	}
	return ""
}
