using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Receptionist.Data.Migrations
{
    /// <inheritdoc />
    public partial class CallTransfers : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "business_transfer_settings",
                columns: table => new
                {
                    business_id = table.Column<Guid>(type: "uuid", nullable: false),
                    transfer_number = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    from = table.Column<TimeOnly>(type: "time without time zone", nullable: false),
                    until = table.Column<TimeOnly>(type: "time without time zone", nullable: false),
                    allow_cold = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_business_transfer_settings", x => x.business_id);
                    table.ForeignKey(
                        name: "fk_business_transfer_settings_businesses_business_id",
                        column: x => x.business_id,
                        principalTable: "businesses",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "call_transfers",
                columns: table => new
                {
                    call_id = table.Column<Guid>(type: "uuid", nullable: false),
                    mode = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: false),
                    state = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    operator_id = table.Column<Guid>(type: "uuid", nullable: false),
                    owner_call_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    ended_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    reason = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_call_transfers", x => x.call_id);
                    table.ForeignKey(
                        name: "fk_call_transfers_calls_call_id",
                        column: x => x.call_id,
                        principalTable: "calls",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_call_transfers_owner_call_id",
                table: "call_transfers",
                column: "owner_call_id",
                unique: true,
                filter: "owner_call_id IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "business_transfer_settings");

            migrationBuilder.DropTable(
                name: "call_transfers");
        }
    }
}
