using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Receptionist.Data.Migrations
{
    /// <inheritdoc />
    public partial class Calls : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "calls",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    business_id = table.Column<Guid>(type: "uuid", nullable: false),
                    provider_call_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    caller_number = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    outcome = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    received_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    claimed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    answered_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    ended_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    operator_id = table.Column<Guid>(type: "uuid", nullable: true),
                    billable = table.Column<bool>(type: "boolean", nullable: false),
                    recording_url = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    scenario_version_id = table.Column<Guid>(type: "uuid", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_calls", x => x.id);
                    table.ForeignKey(
                        name: "fk_calls_businesses_business_id",
                        column: x => x.business_id,
                        principalTable: "businesses",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_calls_users_operator_id",
                        column: x => x.operator_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_calls_business_id_caller_number_received_at",
                table: "calls",
                columns: new[] { "business_id", "caller_number", "received_at" });

            migrationBuilder.CreateIndex(
                name: "ix_calls_business_id_received_at",
                table: "calls",
                columns: new[] { "business_id", "received_at" });

            migrationBuilder.CreateIndex(
                name: "ix_calls_operator_id",
                table: "calls",
                column: "operator_id");

            migrationBuilder.CreateIndex(
                name: "ix_calls_provider_call_id",
                table: "calls",
                column: "provider_call_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_calls_waiting",
                table: "calls",
                columns: new[] { "received_at", "id" },
                filter: "status = 'Waiting'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "calls");
        }
    }
}
