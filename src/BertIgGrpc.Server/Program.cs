using BertIgGrpc.Server.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddBertIgServer();

var app = builder.Build();
app.MapBertIgServer();

return await app.RunBertIgServerAsync();
